#pragma once
// The packed copies (kernels::cpu::pack_panels) of a model's Q8_0/MXFP4
// matrices, made once at load in anonymous memory backed by 2 MB pages.
//
// Each matrix's file pages are released as soon as it is packed, so resident
// memory stays about one file's worth during and after the load (the packed
// copy is as large as the rows it replaces) instead of two. The file mapping
// stays valid: the reference path and anything else reading the views fault
// the pages back in.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <memory>
#include <span>
#include <string>

#include "sy/kernels/cpu/matmul.hpp"

namespace sy::local_engine::model {

class PackedWeights {
 public:
  struct Item {
    kernels::cpu::MatrixView* view;  // gets `panels`
    int64_t group_rows;              // stacked experts: rows per expert, each packed on its own; else view->rows
  };
  // Packs every Q8_0/MXFP4 item (others are left alone) with `threads` threads.
  static std::expected<std::unique_ptr<PackedWeights>, std::string> pack(std::span<const Item> items, int threads);
  // Panels of group g of a matrix packed with group_rows rows per group.
  static const uint8_t* group(const kernels::cpu::MatrixView& packed, int64_t g, int64_t group_rows);

  ~PackedWeights();
  PackedWeights(const PackedWeights&) = delete;
  PackedWeights& operator=(const PackedWeights&) = delete;
  size_t bytes() const { return size_; }

 private:
  PackedWeights(void* base, size_t size) : base_(base), size_(size) {}
  void* base_;
  size_t size_;
};

}  // namespace sy::local_engine::model
