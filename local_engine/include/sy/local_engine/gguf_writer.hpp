#pragma once
// Streaming GGUF v3 writer (little-endian, packed tensors in info order,
// alignment 32): metadata is built in memory, tensor data is produced by a
// callback chunk by chunk so multi-GB files never sit in memory.
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sy/local_engine/gguf.hpp"

namespace sy::local_engine::gguf {

class Writer {
 public:
  void set_u32(std::string_view key, uint32_t v);
  void set_i32(std::string_view key, int32_t v);
  void set_f32(std::string_view key, float v);
  void set_bool(std::string_view key, bool v);
  void set_string(std::string_view key, std::string_view v);
  void set_string_array(std::string_view key, const std::vector<std::string_view>& v);
  // Copies a metadata entry of `from` verbatim; false when absent.
  bool copy_kv(const File& from, std::string_view key);

  // ne in ggml order; ne[0] must be a multiple of the type's block size.
  std::expected<size_t, std::string> add_tensor(std::string_view name, TensorType type, std::vector<int64_t> ne);
  uint64_t tensor_bytes(size_t index) const { return tensors_[index].nbytes; }
  uint64_t total_tensor_bytes() const;

  // fill(tensor, offset_in_tensor, out) fills `out` with the next bytes of the tensor.
  using Fill = std::function<void(size_t tensor, uint64_t offset, std::span<uint8_t> out)>;
  using Progress = std::function<void(uint64_t done, uint64_t total)>;
  std::expected<void, std::string> write(const std::string& path, const Fill& fill, const Progress& progress = {}) const;

 private:
  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> ne;
    uint64_t nbytes = 0;
  };
  void key(std::string_view k, ValueType t);
  template <class T>
  void raw(const T& v);
  void str(std::string_view s);

  std::vector<uint8_t> kv_bytes_;
  uint64_t n_kv_ = 0;
  std::vector<Tensor> tensors_;
};

}  // namespace sy::local_engine::gguf
