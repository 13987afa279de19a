#pragma once
// GGUF container reader (spec §1): mmap, little-endian, v2/v3, split files.
// Everything is validated in open(); afterwards all views point inside the
// mapping and are valid for the File's lifetime.
#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sy::local_engine::gguf {

// ggml tensor type ids we can load.
enum class TensorType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ8_0 = 8,
  kBF16 = 30,
  kMXFP4 = 39,
};

struct TypeTraits {
  uint32_t block_elems = 0;  // elements per block
  uint32_t block_bytes = 0;  // bytes per block
  const char* name = "";
};

// Traits of a supported type id; nullopt for ids we do not load.
std::optional<TypeTraits> type_traits(uint32_t type_id);
const char* type_name(TensorType type);

enum class ValueType : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

struct TensorInfo {
  std::string_view name;
  TensorType type = TensorType::kF32;
  uint32_t n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ggml order: ne[0] is contiguous
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // inside the mapping of shard `shard`
  int shard = 0;

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  // Bytes of one row (ne[0] elements).
  uint64_t row_bytes() const;
};

class File {
 public:
  // Opens `path` (mmap). For split models pass the first shard
  // (`...-00001-of-0000N.gguf`); the other shards are found by name.
  static std::expected<std::unique_ptr<File>, std::string> open(const std::string& path);
  // Parses an in-memory image (tests, fuzzing). The File owns the bytes.
  static std::expected<std::unique_ptr<File>, std::string> from_bytes(std::vector<uint8_t> bytes);

  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  bool has_key(std::string_view key) const;
  std::optional<ValueType> value_type(std::string_view key) const;
  std::optional<std::string_view> get_string(std::string_view key) const;
  // Any integer width, and bool.
  std::optional<int64_t> get_int(std::string_view key) const;
  // f32/f64, and integers.
  std::optional<double> get_float(std::string_view key) const;
  std::optional<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  // Arrays of any integer width (or bool).
  std::optional<std::vector<int64_t>> get_int_array(std::string_view key) const;
  // Arrays of f32/f64 (or integers).
  std::optional<std::vector<double>> get_float_array(std::string_view key) const;
  // Element count of an array value.
  std::optional<uint64_t> array_size(std::string_view key) const;
  std::vector<std::string_view> keys() const;  // in file order
  struct Kv;
  // Raw entry (for copying metadata verbatim, e.g. by Writer::copy_kv).
  const Kv* kv(std::string_view key) const { return find(key); }

  const TensorInfo* tensor(std::string_view name) const;
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  int shard_count() const { return static_cast<int>(shards_.size()); }
  uint64_t total_bytes() const;  // sum of all shard sizes

  struct Shard;

 private:
  File();
  std::expected<void, std::string> parse_shard(int index, bool primary);
  const Kv* find(std::string_view key) const;

  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<Kv> kvs_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
};

struct File::Kv {
  std::string_view key;
  ValueType type = ValueType::kU8;
  ValueType elem_type = ValueType::kU8;  // arrays
  uint64_t count = 0;                    // arrays: element count
  const uint8_t* value = nullptr;        // raw value bytes (arrays: first element)
  uint64_t value_bytes = 0;
};

}  // namespace sy::local_engine::gguf
