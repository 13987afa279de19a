#pragma once
// How much more memory this process can take before the kernel reclaims it
// the hard way: the smaller of the machine's MemAvailable and the headroom
// under the process's cgroup memory limit (containers: v2 memory.max -
// memory.current, v1 memory.limit_in_bytes - memory.usage_in_bytes).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace sy::local_engine {

// A file's contents, or nullopt when it cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// UINT64_MAX when nothing could be read.
uint64_t memory_headroom_bytes(const FileReader& read);
uint64_t memory_headroom_bytes();  // the real /proc and /sys files

}  // namespace sy::local_engine
