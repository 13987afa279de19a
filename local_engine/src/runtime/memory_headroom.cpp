#include "sy/local_engine/memory_headroom.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>

namespace sy::local_engine {

namespace {

constexpr uint64_t kUnknown = std::numeric_limits<uint64_t>::max();

std::optional<uint64_t> parse_u64(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

uint64_t mem_available(const FileReader& read) {
  const auto meminfo = read("/proc/meminfo");
  if (!meminfo) return kUnknown;
  std::istringstream in(*meminfo);
  for (std::string key; in >> key;) {
    uint64_t kb = 0;
    in >> kb;
    if (key == "MemAvailable:") return kb * 1024;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return kUnknown;
}

// limit - usage from the first directory whose limit file reads; no limit
// ("max", or v1's near-2^63 default) is unknown.
uint64_t cgroup_headroom(const FileReader& read, const std::string& root, const std::string& path,
                         const char* limit_file, const char* usage_file) {
  for (const std::string& dir : {root + path, root}) {
    const auto limit_text = read(dir + "/" + limit_file);
    if (!limit_text) continue;
    const auto limit = parse_u64(*limit_text);
    if (!limit || *limit >= (uint64_t{1} << 62)) return kUnknown;  // "max" or unlimited
    const auto usage_text = read(dir + "/" + usage_file);
    const uint64_t usage = usage_text ? parse_u64(*usage_text).value_or(0) : 0;
    return *limit > usage ? *limit - usage : 0;
  }
  return kUnknown;
}

}  // namespace

uint64_t memory_headroom_bytes(const FileReader& read) {
  uint64_t headroom = mem_available(read);
  const auto cgroups = read("/proc/self/cgroup");
  if (!cgroups) return headroom;
  std::istringstream in(*cgroups);
  for (std::string line; std::getline(in, line);) {
    // "id:controllers:path"; cgroup v2 is "0::path", v1 lists "memory" among the controllers.
    const size_t a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    const std::string p = path == "/" ? "" : path;
    if (line.substr(0, a) == "0" && controllers.empty()) {
      headroom = std::min(headroom, cgroup_headroom(read, "/sys/fs/cgroup", p, "memory.max", "memory.current"));
    } else if (("," + controllers + ",").find(",memory,") != std::string::npos) {
      headroom = std::min(headroom, cgroup_headroom(read, "/sys/fs/cgroup/memory", p, "memory.limit_in_bytes",
                                                    "memory.usage_in_bytes"));
    }
  }
  return headroom;
}

uint64_t memory_headroom_bytes() {
  return memory_headroom_bytes([](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  });
}

}  // namespace sy::local_engine
