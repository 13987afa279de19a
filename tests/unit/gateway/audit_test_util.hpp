#pragma once
// Shared helpers of the audit tests: a scratch directory, line I/O, records.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sy/gateway/audit/record.hpp"
#include "sy/gateway/audit/writer.hpp"

namespace sy::gateway::audit::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("sy-audit-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  for (const auto& l : lines) out << l << '\n';
}

inline nlohmann::json sample_record(int i, const std::string& target = "local") {
  RequestRecord r;
  r.time = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000 + i));
  r.request_id = "req-" + std::to_string(i);
  r.key_id = "team-a";
  r.model = "auto";
  r.stage = "complete";
  r.classification = ClassificationSummary{true, false, {{"email", 1, {{0, 5, 22}}}}};
  r.route = RouteSummary{"sensitive", {target}, {target}, {"sensitive:email"}};
  r.attempts = {{target, "ok", 200, 12.5, "closed"}};
  r.served_by = target;
  r.commit_point_reached = true;
  r.finish_reason = "stop";
  r.tokens_in = 10 + i;
  r.tokens_out = 5;
  r.latency_ms = 20;
  r.status = 200;
  return to_json(r);
}

inline WriterOptions options_for(const std::string& path) {
  WriterOptions o;
  o.path = path;
  o.rotate_daily = false;
  return o;
}

// Appends `n` records one after the other; every ack must be durable.
inline void append_n(AuditLog& log, int n, int first = 0) {
  for (int i = first; i < first + n; ++i) {
    auto r = log.append(sample_record(i)).get();
    ASSERT_TRUE(r.durable) << r.error;
  }
}

}  // namespace sy::gateway::audit::testing
