#include <cstdio>
#include <cstring>
#include <memory>

#include "gguf/strcat.hpp"
#include "sy/local_engine/gguf_writer.hpp"

namespace sy::local_engine::gguf {

using sy::local_engine::detail::cat;

namespace {
constexpr uint64_t kAlign = 32;
constexpr size_t kChunk = 8 << 20;
uint64_t align_up(uint64_t x) { return x + (kAlign - x % kAlign) % kAlign; }
}  // namespace

template <class T>
void Writer::raw(const T& v) {
  const auto* p = reinterpret_cast<const uint8_t*>(&v);
  kv_bytes_.insert(kv_bytes_.end(), p, p + sizeof(T));
}

void Writer::str(std::string_view s) {
  raw<uint64_t>(s.size());
  kv_bytes_.insert(kv_bytes_.end(), s.begin(), s.end());
}

void Writer::key(std::string_view k, ValueType t) {
  str(k);
  raw(static_cast<uint32_t>(t));
  ++n_kv_;
}

void Writer::set_u32(std::string_view k, uint32_t v) { key(k, ValueType::kU32), raw(v); }
void Writer::set_i32(std::string_view k, int32_t v) { key(k, ValueType::kI32), raw(v); }
void Writer::set_f32(std::string_view k, float v) { key(k, ValueType::kF32), raw(v); }
void Writer::set_bool(std::string_view k, bool v) { key(k, ValueType::kBool), raw<uint8_t>(v ? 1 : 0); }
void Writer::set_string(std::string_view k, std::string_view v) { key(k, ValueType::kString), str(v); }

void Writer::set_string_array(std::string_view k, const std::vector<std::string_view>& v) {
  key(k, ValueType::kArray);
  raw(static_cast<uint32_t>(ValueType::kString));
  raw<uint64_t>(v.size());
  for (auto s : v) str(s);
}

bool Writer::copy_kv(const File& from, std::string_view k) {
  const File::Kv* kv = from.kv(k);
  if (!kv) return false;
  key(k, kv->type);
  if (kv->type == ValueType::kArray) {
    raw(static_cast<uint32_t>(kv->elem_type));
    raw<uint64_t>(kv->count);
  }
  kv_bytes_.insert(kv_bytes_.end(), kv->value, kv->value + kv->value_bytes);
  return true;
}

std::expected<size_t, std::string> Writer::add_tensor(std::string_view name, TensorType type, std::vector<int64_t> ne) {
  auto traits = type_traits(static_cast<uint32_t>(type));
  if (!traits || ne.empty() || ne.size() > 4 || ne[0] % traits->block_elems != 0)
    return std::unexpected(cat("bad tensor spec for '", name, "'"));
  uint64_t n = 1;
  for (int64_t d : ne) n *= static_cast<uint64_t>(d);
  tensors_.push_back(Tensor{std::string(name), type, std::move(ne), n / traits->block_elems * traits->block_bytes});
  return tensors_.size() - 1;
}

uint64_t Writer::total_tensor_bytes() const {
  uint64_t s = 0;
  for (const auto& t : tensors_) s += align_up(t.nbytes);
  return s;
}

std::expected<void, std::string> Writer::write(const std::string& path, const Fill& fill, const Progress& progress) const {
  std::vector<uint8_t> head;
  auto put = [&](const void* p, size_t n) { head.insert(head.end(), static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n); };
  const uint32_t magic = 0x46554747, version = 3;
  const uint64_t n_tensors = tensors_.size();
  put(&magic, 4), put(&version, 4), put(&n_tensors, 8), put(&n_kv_, 8);
  head.insert(head.end(), kv_bytes_.begin(), kv_bytes_.end());
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    const uint64_t len = t.name.size();
    const uint32_t nd = static_cast<uint32_t>(t.ne.size()), type = static_cast<uint32_t>(t.type);
    put(&len, 8), put(t.name.data(), len), put(&nd, 4);
    for (int64_t d : t.ne) put(&d, 8);
    put(&type, 4), put(&offset, 8);
    offset += align_up(t.nbytes);
  }
  head.resize(align_up(head.size()), 0);

  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return std::unexpected(cat(path, ": cannot create: ", std::strerror(errno)));
  if (std::fwrite(head.data(), 1, head.size(), f.get()) != head.size()) return std::unexpected(cat(path, ": write failed"));
  std::vector<uint8_t> buf(kChunk);
  const uint64_t total = total_tensor_bytes();
  uint64_t done = 0;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const uint64_t padded = align_up(tensors_[i].nbytes);
    for (uint64_t off = 0; off < padded; off += kChunk) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, padded - off));
      std::span<uint8_t> out(buf.data(), n);
      std::fill(out.begin(), out.end(), 0);
      if (off < tensors_[i].nbytes) fill(i, off, out.first(static_cast<size_t>(std::min<uint64_t>(n, tensors_[i].nbytes - off))));
      if (std::fwrite(buf.data(), 1, n, f.get()) != n) return std::unexpected(cat(path, ": write failed (disk full?)"));
      done += n;
      if (progress) progress(done, total);
    }
  }
  if (std::fflush(f.get()) != 0) return std::unexpected(cat(path, ": flush failed"));
  return {};
}

}  // namespace sy::local_engine::gguf
