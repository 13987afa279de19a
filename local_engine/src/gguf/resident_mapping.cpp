#include "gguf/resident_mapping.hpp"

#include <fcntl.h>
#include <sys/mman.h>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace sy::local_engine::gguf::detail {

namespace {

uint64_t mem_available_bytes() {
  std::ifstream in("/proc/meminfo");
  for (std::string key; in >> key;) {
    uint64_t kb = 0;
    in >> kb;
    if (key == "MemAvailable:") return kb * 1024;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

// FilePmdMapped of the mapping that starts at `map`, from /proc/self/smaps.
uint64_t pmd_mapped_bytes(const void* map) {
  char start[32];
  std::snprintf(start, sizeof start, "%lx-", reinterpret_cast<unsigned long>(map));
  std::ifstream in("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') != std::string::npos &&
        line.find(':') > line.find(' ')) {
      inside = line.starts_with(start);
      continue;
    }
    if (inside && line.starts_with("FilePmdMapped:")) return std::stoull(line.substr(14)) * 1024;
  }
  return 0;
}

}  // namespace

// Decode streams ~1.3 GB of scattered expert rows per token (gpt-oss-20b).
// With 4 KB page-cache pages every page costs a TLB miss and a page walk whose
// tables (24 MB for a 12 GB file) do not stay in cache: on the synthetic 20b
// file decode measured ~10 tok/s with 4 KB pages and ~14 tok/s with 2 MB
// ones. A file that was just written (downloaded, synthesised) sits in the
// page cache as small folios; dropping those and reading the file again lets
// readahead build huge folios, which the mapping then maps with 2 MB pages.
uint64_t make_resident(void* map, uint64_t size, int fd) {
  if (size < (64ull << 20) || size > mem_available_bytes()) return 0;
  madvise(map, size, MADV_HUGEPAGE);
  if (madvise(map, size, MADV_POPULATE_READ) != 0) return 0;  // old kernel: pages fault in on demand
  uint64_t huge = pmd_mapped_bytes(map);
  if (huge * 2 >= size) return huge;
  // Drop our page-table entries, then the pages nobody else maps, and read again.
  madvise(map, size, MADV_DONTNEED);
  posix_fadvise(fd, 0, static_cast<off_t>(size), POSIX_FADV_DONTNEED);
  madvise(map, size, MADV_POPULATE_READ);
  return pmd_mapped_bytes(map);
}

}  // namespace sy::local_engine::gguf::detail
