#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>

#include "gguf/reader.hpp"
#include "gguf/strcat.hpp"
#include "sy/local_engine/gguf.hpp"

static_assert(std::endian::native == std::endian::little, "GGUF reader assumes a little-endian host");

namespace sy::local_engine::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read little-endian
constexpr uint64_t kMaxKeyLen = 65535;
constexpr uint64_t kMaxStringLen = uint64_t{1} << 30;
constexpr uint64_t kMaxTensorNameLen = 63;  // ggml GGML_MAX_NAME = 64 incl. NUL
constexpr uint32_t kMaxDims = 4;
constexpr uint32_t kDefaultAlignment = 32;

// Fixed byte size of a scalar value type; 0 for string/array/unknown.
uint64_t scalar_size(uint32_t t) {
  switch (static_cast<ValueType>(t)) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kBool: return 1;
    case ValueType::kU16: case ValueType::kI16: return 2;
    case ValueType::kU32: case ValueType::kI32: case ValueType::kF32: return 4;
    case ValueType::kU64: case ValueType::kI64: case ValueType::kF64: return 8;
    default: return 0;
  }
}

bool is_integer(ValueType t) {
  switch (t) {
    case ValueType::kU8: case ValueType::kI8: case ValueType::kU16: case ValueType::kI16:
    case ValueType::kU32: case ValueType::kI32: case ValueType::kU64: case ValueType::kI64:
    case ValueType::kBool: return true;
    default: return false;
  }
}

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

std::optional<int64_t> load_int(ValueType t, const uint8_t* p) {
  switch (t) {
    case ValueType::kU8: return load<uint8_t>(p);
    case ValueType::kI8: return load<int8_t>(p);
    case ValueType::kBool: return load<uint8_t>(p) != 0 ? 1 : 0;
    case ValueType::kU16: return load<uint16_t>(p);
    case ValueType::kI16: return load<int16_t>(p);
    case ValueType::kU32: return load<uint32_t>(p);
    case ValueType::kI32: return load<int32_t>(p);
    case ValueType::kI64: return load<int64_t>(p);
    case ValueType::kU64: {
      uint64_t v = load<uint64_t>(p);
      if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return static_cast<int64_t>(v);
    }
    default: return std::nullopt;
  }
}

std::optional<double> load_float(ValueType t, const uint8_t* p) {
  if (t == ValueType::kF32) return load<float>(p);
  if (t == ValueType::kF64) return load<double>(p);
  if (auto i = load_int(t, p)) return static_cast<double>(*i);
  return std::nullopt;
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

}  // namespace

std::optional<TypeTraits> type_traits(uint32_t type_id) {
  switch (static_cast<TensorType>(type_id)) {
    case TensorType::kF32: return TypeTraits{1, 4, "F32"};
    case TensorType::kF16: return TypeTraits{1, 2, "F16"};
    case TensorType::kQ8_0: return TypeTraits{32, 34, "Q8_0"};
    case TensorType::kBF16: return TypeTraits{1, 2, "BF16"};
    case TensorType::kMXFP4: return TypeTraits{32, 17, "MXFP4"};
  }
  return std::nullopt;
}

const char* type_name(TensorType type) {
  auto t = type_traits(static_cast<uint32_t>(type));
  return t ? t->name : "?";
}

uint64_t TensorInfo::row_bytes() const {
  auto t = type_traits(static_cast<uint32_t>(type));
  return static_cast<uint64_t>(ne[0]) / t->block_elems * t->block_bytes;
}

struct File::Shard {
  std::string path;
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  void* map = nullptr;  // mmap base, or null when `owned` holds the bytes
  std::vector<uint8_t> owned;
  ~Shard() {
    if (map != nullptr) munmap(map, size);
  }
};

File::File() = default;
File::~File() = default;

std::expected<std::unique_ptr<File>, std::string> File::from_bytes(std::vector<uint8_t> bytes) {
  std::unique_ptr<File> file(new File());
  auto shard = std::make_unique<Shard>();
  shard->path = "<memory>";
  shard->owned = std::move(bytes);
  shard->data = shard->owned.data();
  shard->size = shard->owned.size();
  file->shards_.push_back(std::move(shard));
  if (auto r = file->parse_shard(0, true); !r) return std::unexpected(r.error());
  if (file->get_int("split.count").value_or(1) > 1)
    return std::unexpected("split GGUF cannot be loaded from memory");
  return file;
}

namespace {

std::expected<std::unique_ptr<File::Shard>, std::string> map_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(sy::local_engine::detail::cat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(sy::local_engine::detail::cat(path, ": not a regular file"));
  }
  auto shard = std::make_unique<File::Shard>();
  shard->path = path;
  shard->size = static_cast<uint64_t>(st.st_size);
  if (shard->size > 0) {
    void* p = mmap(nullptr, shard->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      return std::unexpected(sy::local_engine::detail::cat(path, ": mmap failed: ", std::strerror(errno)));
    }
    shard->map = p;
    shard->data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return shard;
}

// "<prefix>-00001-of-00003.gguf" -> prefix; nullopt when the name does not follow the pattern.
std::optional<std::string> split_prefix(const std::string& path) {
  constexpr std::string_view kSuffix = ".gguf";
  if (path.size() < 20 || !path.ends_with(kSuffix)) return std::nullopt;
  std::string stem = path.substr(0, path.size() - kSuffix.size());  // ...-NNNNN-of-MMMMM
  if (stem.size() < 15 || stem.compare(stem.size() - 15, 1, "-") != 0 ||
      stem.compare(stem.size() - 9, 4, "-of-") != 0)
    return std::nullopt;
  return stem.substr(0, stem.size() - 15);
}

}  // namespace

std::expected<std::unique_ptr<File>, std::string> File::open(const std::string& path) {
  std::unique_ptr<File> file(new File());
  auto first = map_file(path);
  if (!first) return std::unexpected(first.error());
  file->shards_.push_back(std::move(*first));
  if (auto r = file->parse_shard(0, true); !r) return std::unexpected(r.error());

  int64_t count = file->get_int("split.count").value_or(1);
  if (count < 1 || count > 999) return std::unexpected(sy::local_engine::detail::cat(path, ": bad split.count ", count));
  if (count == 1) return file;
  if (file->get_int("split.no").value_or(0) != 0)
    return std::unexpected(sy::local_engine::detail::cat(path, ": not the first shard of a split model (split.no != 0)"));
  auto prefix = split_prefix(path);
  if (!prefix) return std::unexpected(sy::local_engine::detail::cat(path, ": split.count=", count, " but the name is not <prefix>-00001-of-NNNNN.gguf"));
  for (int i = 1; i < count; ++i) {
    char suffix[40];
    std::snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", i + 1, static_cast<int>(count));
    std::string shard_path = *prefix + suffix;
    auto shard = map_file(shard_path);
    if (!shard) return std::unexpected(shard.error());
    file->shards_.push_back(std::move(*shard));
    if (auto r = file->parse_shard(i, false); !r) return std::unexpected(r.error());
  }
  if (auto expected = file->get_int("split.tensors.count");
      expected && *expected != static_cast<int64_t>(file->tensors_.size()))
    return std::unexpected(sy::local_engine::detail::cat(path, ": split.tensors.count=", *expected, " but the shards hold ", file->tensors_.size(), " tensors"));
  return file;
}

std::expected<void, std::string> File::parse_shard(int index, bool primary) {
  const Shard& shard = *shards_[index];
  const std::string& where = shard.path;
  auto fail = [&](std::string msg) { return std::unexpected(sy::local_engine::detail::cat(where, ": ", msg)); };
  detail::Reader rd(shard.data, shard.size);

  uint32_t magic = 0, version = 0;
  uint64_t n_tensors = 0, n_kv = 0;
  if (!rd.read(magic)) return fail("file too small for a GGUF header");
  if (magic != kMagic) return fail("bad magic (not a GGUF file)");
  if (!rd.read(version)) return fail("truncated header (version)");
  if ((version & 0xFFFF) == 0) return fail(sy::local_engine::detail::cat("big-endian GGUF (version field 0x", std::hex, version, ") is not supported"));
  if (version == 1) return fail("GGUF v1 is no longer supported");
  if (version != 2 && version != 3) return fail(sy::local_engine::detail::cat("unsupported GGUF version ", version));
  if (!rd.read(n_tensors) || !rd.read(n_kv)) return fail("truncated header (counts)");
  // Each KV needs >= 13 bytes (8 key len + 1 key byte + 4 type) and each tensor info >= 25.
  if (n_kv > rd.remaining() / 13) return fail(sy::local_engine::detail::cat("kv_count ", n_kv, " exceeds what the file can hold"));
  if (n_tensors > rd.remaining() / 25) return fail(sy::local_engine::detail::cat("tensor_count ", n_tensors, " exceeds what the file can hold"));
  if (primary) version_ = version;

  std::vector<Kv> local_kvs;
  std::vector<Kv>& kvs = primary ? kvs_ : local_kvs;
  std::unordered_map<std::string_view, size_t> local_index;
  auto& index_map = primary ? kv_index_ : local_index;
  kvs.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    Kv kv;
    if (!rd.read_string(kv.key, kMaxKeyLen)) return fail(sy::local_engine::detail::cat("kv ", i, ": truncated or oversized key"));
    if (kv.key.empty()) return fail(sy::local_engine::detail::cat("kv ", i, ": empty key"));
    uint32_t type = 0;
    if (!rd.read(type)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': truncated value type"));
    if (type > static_cast<uint32_t>(ValueType::kF64)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': unknown value type ", type));
    kv.type = static_cast<ValueType>(type);
    if (kv.type == ValueType::kArray) {
      uint32_t et = 0;
      if (!rd.read(et) || !rd.read(kv.count)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': truncated array header"));
      if (et == static_cast<uint32_t>(ValueType::kArray)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': nested arrays are not supported"));
      if (et > static_cast<uint32_t>(ValueType::kF64)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': unknown array element type ", et));
      kv.elem_type = static_cast<ValueType>(et);
      kv.value = rd.here();
      uint64_t start = rd.pos();
      if (kv.elem_type == ValueType::kString) {
        if (kv.count > rd.remaining() / 8) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': array length ", kv.count, " exceeds file"));
        for (uint64_t j = 0; j < kv.count; ++j) {
          std::string_view s;
          if (!rd.read_string(s, kMaxStringLen)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': string ", j, " truncated"));
        }
      } else {
        uint64_t bytes = 0;
        if (mul_overflows(kv.count, scalar_size(et), bytes) || !rd.skip(bytes))
          return fail(sy::local_engine::detail::cat("kv '", kv.key, "': array of ", kv.count, " elements exceeds file"));
      }
      kv.value_bytes = rd.pos() - start;
    } else if (kv.type == ValueType::kString) {
      std::string_view s;
      uint64_t start = rd.pos();
      if (!rd.read_string(s, kMaxStringLen)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': truncated string value"));
      kv.value = shard.data + start;
      kv.value_bytes = rd.pos() - start;
    } else {
      kv.value = rd.here();
      kv.value_bytes = scalar_size(type);
      if (!rd.skip(kv.value_bytes)) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': truncated value"));
      if (kv.type == ValueType::kBool && *kv.value > 1) return fail(sy::local_engine::detail::cat("kv '", kv.key, "': bool value ", *kv.value, " is not 0/1"));
    }
    if (!index_map.emplace(kv.key, kvs.size()).second) return fail(sy::local_engine::detail::cat("duplicate key '", kv.key, "'"));
    kvs.push_back(kv);
  }

  uint32_t alignment = kDefaultAlignment;
  if (auto it = index_map.find("general.alignment"); it != index_map.end()) {
    const Kv& kv = kvs[it->second];
    if (kv.type != ValueType::kU32) return fail("general.alignment must be a uint32");
    alignment = load<uint32_t>(kv.value);
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) return fail(sy::local_engine::detail::cat("general.alignment ", alignment, " is not a power of two"));
  }
  if (primary) alignment_ = alignment;
  if (!primary) {
    auto it = index_map.find("split.no");
    if (it != index_map.end()) {
      auto no = load_int(kvs[it->second].type, kvs[it->second].value);
      if (!no || *no != index) return fail(sy::local_engine::detail::cat("split.no is ", no.value_or(-1), " but this is shard ", index));
    }
  }

  size_t first_new = tensors_.size();
  tensors_.reserve(first_new + n_tensors);
  std::vector<uint64_t> offsets;
  offsets.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TensorInfo t;
    t.shard = index;
    if (!rd.read_string(t.name, kMaxStringLen)) return fail(sy::local_engine::detail::cat("tensor ", i, ": truncated name"));
    if (t.name.empty() || t.name.size() > kMaxTensorNameLen) return fail(sy::local_engine::detail::cat("tensor ", i, ": name length ", t.name.size(), " not in 1..", kMaxTensorNameLen));
    if (!rd.read(t.n_dims)) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': truncated"));
    if (t.n_dims > kMaxDims) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': n_dims ", t.n_dims, " > ", kMaxDims));
    uint64_t n_elem = 1;
    for (uint32_t d = 0; d < t.n_dims; ++d) {
      uint64_t dim = 0;
      if (!rd.read(dim)) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': truncated dims"));
      if (dim == 0 || dim > static_cast<uint64_t>(INT64_MAX)) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': dim ", d, " = ", dim, " invalid"));
      if (mul_overflows(n_elem, dim, n_elem) || n_elem > static_cast<uint64_t>(INT64_MAX))
        return fail(sy::local_engine::detail::cat("tensor '", t.name, "': element count overflows"));
      t.ne[d] = static_cast<int64_t>(dim);
    }
    uint32_t type = 0;
    uint64_t offset = 0;
    if (!rd.read(type) || !rd.read(offset)) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': truncated"));
    auto traits = type_traits(type);
    if (!traits) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': unsupported ggml type ", type));
    t.type = static_cast<TensorType>(type);
    if (t.ne[0] % traits->block_elems != 0)
      return fail(sy::local_engine::detail::cat("tensor '", t.name, "': row length ", t.ne[0], " not a multiple of ", traits->name, " block size ", traits->block_elems));
    uint64_t bytes = 0;
    if (mul_overflows(n_elem / traits->block_elems, traits->block_bytes, bytes)) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': byte size overflows"));
    t.nbytes = bytes;
    if (offset % alignment != 0) return fail(sy::local_engine::detail::cat("tensor '", t.name, "': offset ", offset, " not aligned to ", alignment));
    if (tensor_index_.contains(t.name)) return fail(sy::local_engine::detail::cat("duplicate tensor name '", t.name, "'"));
    tensor_index_.emplace(t.name, tensors_.size());
    tensors_.push_back(t);
    offsets.push_back(offset);
  }

  uint64_t data_start = rd.pos() + (alignment - rd.pos() % alignment) % alignment;
  if (n_tensors > 0 && data_start > shard.size) return fail("tensor data section starts past the end of the file");
  uint64_t blob = shard.size - std::min(data_start, shard.size);
  std::vector<size_t> order(n_tensors);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return offsets[a] < offsets[b]; });
  uint64_t prev_end = 0;
  std::string_view prev_name;
  for (size_t k : order) {
    TensorInfo& t = tensors_[first_new + k];
    uint64_t off = offsets[k];
    if (off > blob || t.nbytes > blob - off)
      return fail(sy::local_engine::detail::cat("tensor '", t.name, "': data [", off, ", +", t.nbytes, ") lies outside the file (", blob, " data bytes)"));
    if (off < prev_end) return fail(sy::local_engine::detail::cat("tensor '", t.name, "' overlaps tensor '", prev_name, "'"));
    prev_end = off + t.nbytes;
    prev_name = t.name;
    t.data = shard.data + data_start + off;
  }
  return {};
}

const File::Kv* File::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

bool File::has_key(std::string_view key) const { return find(key) != nullptr; }

std::optional<ValueType> File::value_type(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv) return std::nullopt;
  return kv->type;
}

std::optional<std::string_view> File::get_string(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv || kv->type != ValueType::kString) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(kv->value) + 8, kv->value_bytes - 8);
}

std::optional<int64_t> File::get_int(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv || !is_integer(kv->type)) return std::nullopt;
  return load_int(kv->type, kv->value);
}

std::optional<double> File::get_float(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv) return std::nullopt;
  return load_float(kv->type, kv->value);
}

std::optional<uint64_t> File::array_size(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv || kv->type != ValueType::kArray) return std::nullopt;
  return kv->count;
}

std::optional<std::vector<std::string_view>> File::get_string_array(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv || kv->type != ValueType::kArray || kv->elem_type != ValueType::kString) return std::nullopt;
  std::vector<std::string_view> out;
  out.reserve(kv->count);
  detail::Reader rd(kv->value, kv->value_bytes);  // validated at open
  for (uint64_t i = 0; i < kv->count; ++i) {
    std::string_view s;
    if (!rd.read_string(s, kMaxStringLen)) return std::nullopt;
    out.push_back(s);
  }
  return out;
}

std::optional<std::vector<int64_t>> File::get_int_array(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv || kv->type != ValueType::kArray || !is_integer(kv->elem_type)) return std::nullopt;
  uint64_t sz = scalar_size(static_cast<uint32_t>(kv->elem_type));
  std::vector<int64_t> out;
  out.reserve(kv->count);
  for (uint64_t i = 0; i < kv->count; ++i) {
    auto v = load_int(kv->elem_type, kv->value + i * sz);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::optional<std::vector<double>> File::get_float_array(std::string_view key) const {
  const Kv* kv = find(key);
  if (!kv || kv->type != ValueType::kArray) return std::nullopt;
  uint64_t sz = scalar_size(static_cast<uint32_t>(kv->elem_type));
  if (sz == 0) return std::nullopt;
  std::vector<double> out;
  out.reserve(kv->count);
  for (uint64_t i = 0; i < kv->count; ++i) {
    auto v = load_float(kv->elem_type, kv->value + i * sz);
    if (!v) return std::nullopt;
    out.push_back(*v);
  }
  return out;
}

std::vector<std::string_view> File::keys() const {
  std::vector<std::string_view> out;
  out.reserve(kvs_.size());
  for (const Kv& kv : kvs_) out.push_back(kv.key);
  return out;
}

const TensorInfo* File::tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

uint64_t File::total_bytes() const {
  uint64_t s = 0;
  for (const auto& sh : shards_) s += sh->size;
  return s;
}

}  // namespace sy::local_engine::gguf
