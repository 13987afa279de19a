#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <string>

#include "sy/local_engine/memory_headroom.hpp"

namespace sy::local_engine {
namespace {

// A fake /proc and /sys: only the files in `files` exist.
FileReader fake(std::map<std::string, std::string> files) {
  return [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
    const auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
}

const std::string kMeminfo = "MemTotal:       24683620 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\n";
constexpr uint64_t kAvailable = 20000000ull * 1024;

TEST(MemoryHeadroom, MemAvailableWhenNoCgroupLimit) {
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo}})), kAvailable);
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo},
                                        {"/proc/self/cgroup", "0::/app.slice\n"},
                                        {"/sys/fs/cgroup/app.slice/memory.max", "max\n"},
                                        {"/sys/fs/cgroup/app.slice/memory.current", "123\n"}})),
            kAvailable);
}

TEST(MemoryHeadroom, CgroupV2LimitBelowMemAvailableWins) {
  const uint64_t limit = 8ull << 30, current = 1ull << 30;
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo},
                                        {"/proc/self/cgroup", "0::/kubepods/pod1\n"},
                                        {"/sys/fs/cgroup/kubepods/pod1/memory.max", std::to_string(limit) + "\n"},
                                        {"/sys/fs/cgroup/kubepods/pod1/memory.current", std::to_string(current)}})),
            limit - current);
  // Inside a cgroup namespace the path is "/" and the files sit at the root.
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo},
                                        {"/proc/self/cgroup", "0::/\n"},
                                        {"/sys/fs/cgroup/memory.max", std::to_string(limit)},
                                        {"/sys/fs/cgroup/memory.current", std::to_string(current)}})),
            limit - current);
}

TEST(MemoryHeadroom, CgroupV1LimitAndItsUnlimitedDefault) {
  const std::string cgroup = "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n";
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo},
                                        {"/proc/self/cgroup", cgroup},
                                        {"/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "4294967296\n"},
                                        {"/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "1073741824\n"}})),
            3ull << 30);
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo},
                                        {"/proc/self/cgroup", cgroup},
                                        {"/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n"}})),
            kAvailable);
}

TEST(MemoryHeadroom, UsageAboveLimitLeavesNothingAndUnreadableIsUnknown) {
  EXPECT_EQ(memory_headroom_bytes(fake({{"/proc/meminfo", kMeminfo},
                                        {"/proc/self/cgroup", "0::/x\n"},
                                        {"/sys/fs/cgroup/x/memory.max", "1000"},
                                        {"/sys/fs/cgroup/x/memory.current", "5000"}})),
            0u);
  EXPECT_EQ(memory_headroom_bytes(fake({})), std::numeric_limits<uint64_t>::max());
}

TEST(MemoryHeadroom, ThisProcessHasSome) {
  const uint64_t h = memory_headroom_bytes();
  EXPECT_GT(h, 0u);
}

}  // namespace
}  // namespace sy::local_engine
