#include "model/packed_weights.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "gguf/strcat.hpp"
#include "sy/kernels/cpu/gemm_q8.hpp"
#include "sy/kernels/cpu/thread_pool.hpp"
#include "sy/local_engine/memory_headroom.hpp"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace sy::local_engine::model {

using kernels::cpu::MatrixView;
using sy::local_engine::detail::cat;

namespace {

// Bytes of one group's panels (groups are packed one after another).
size_t group_bytes(const MatrixView& v, int64_t group_rows) {
  return static_cast<size_t>(kernels::cpu::panel_count(group_rows)) * kernels::cpu::panel_bytes(v.type, v.cols);
}

// madvise over the whole pages inside [p, p + n).
void advise_pages(const uint8_t* p, size_t n, int advice) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) / page * page;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, advice);
}

}  // namespace

const uint8_t* PackedWeights::group(const MatrixView& packed, int64_t g, int64_t group_rows) {
  if (!packed.panels) return nullptr;
  return packed.panels + static_cast<size_t>(g) * group_bytes(packed, group_rows);
}

std::expected<std::unique_ptr<PackedWeights>, std::string> PackedWeights::pack(std::span<const Item> items,
                                                                               int threads) {
  size_t total = 0;
  for (const Item& it : items)
    if (kernels::cpu::is_block_type(it.view->type))
      total += static_cast<size_t>(it.view->rows / it.group_rows) * group_bytes(*it.view, it.group_rows);
  if (total == 0) return std::unique_ptr<PackedWeights>(new PackedWeights(nullptr, 0));
  // The packed copy is resident by design (anonymous memory, no swap-in from
  // the file): a model that does not fit, in the machine or in the container's
  // memory limit, is refused here with the numbers instead of being killed by
  // the OOM killer halfway through packing.
  const uint64_t available = memory_headroom_bytes();
  if (total > available)
    return std::unexpected(cat("the model's packed weights need ", total / 1000000, " MB of memory but only ",
                               available / 1000000, " MB is available (MemAvailable, or the cgroup memory limit)"));
  void* base = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return std::unexpected(cat("cannot allocate ", total, " bytes for the packed weights"));
  // Decode streams every selected expert's panels: 2 MB pages keep the page
  // walks of a 12 GB working set out of the way (gpt-oss-20b decode measured
  // ~10 tok/s with 4 KB pages, ~13.7 with 2 MB ones).
  madvise(base, total, MADV_HUGEPAGE);
  std::unique_ptr<PackedWeights> out(new PackedWeights(base, total));

  kernels::cpu::ThreadPool pool(threads);
  uint8_t* next = static_cast<uint8_t*>(base);
  for (const Item& it : items) {
    MatrixView& v = *it.view;
    if (!kernels::cpu::is_block_type(v.type)) continue;
    const size_t src_bytes = static_cast<size_t>(v.rows) * v.row_bytes;
    advise_pages(v.data, src_bytes, MADV_POPULATE_READ);  // one bulk read instead of a fault per 64 KB
    const int64_t groups = v.rows / it.group_rows, per_group = kernels::cpu::panel_count(it.group_rows);
    const size_t bytes = group_bytes(v, it.group_rows);
    pool.parallel_for(groups * per_group, 8, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e;) {
        const int64_t g = i / per_group, p0 = i % per_group, p1 = std::min(per_group, p0 + (e - i));
        kernels::cpu::pack_panels(v.type, v.data + static_cast<size_t>(g * it.group_rows) * v.row_bytes, v.row_bytes,
                                  it.group_rows, v.cols, p0, p1, next + static_cast<size_t>(g) * bytes);
        i += p1 - p0;
      }
    });
    advise_pages(v.data, src_bytes, MADV_DONTNEED);  // the file's copy leaves resident memory
    v.panels = next;
    next += static_cast<size_t>(groups) * bytes;
  }
  return out;
}

PackedWeights::~PackedWeights() {
  if (base_) munmap(base_, size_);
}

}  // namespace sy::local_engine::model
