// A writer process killed with SIGKILL under concurrent appends: what is on
// disk verifies, every acknowledged record is there, and the chain resumes.
// (The gateway-level version with the real binary lives in tests/integration.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "audit_test_util.hpp"
#include "sy/gateway/audit/verify.hpp"

namespace sy::gateway::audit {
namespace {
using namespace testing;

// Child: four producers append forever; each durable ack's seq goes to `fd`.
[[noreturn]] void run_writer_child(const std::string& path, int fd) {
  auto log = AuditLog::open(options_for(path));
  if (!log) _exit(3);
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto r = (*log)->append(sample_record(t * 1'000'000 + i)).get();
        if (!r.durable) _exit(4);
        uint64_t seq = r.seq;
        if (::write(fd, &seq, sizeof seq) != sizeof seq) _exit(5);
      }
    });
  }
  for (auto& p : producers) p.join();
  _exit(0);
}

TEST(AuditCrash, SigkillLosesNothingAcknowledged) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  std::vector<uint64_t> acked;
  for (int round = 0; round < 3; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_writer_child(path, fds[1]);
    }
    ::close(fds[1]);
    // Let it run until some records of this round are acknowledged, then kill.
    const size_t before = acked.size();
    uint64_t seq;
    while (acked.size() < before + 20 + 15 * static_cast<size_t>(round) &&
           ::read(fds[0], &seq, sizeof seq) == sizeof seq) {
      acked.push_back(seq);
    }
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    while (::read(fds[0], &seq, sizeof seq) == sizeof seq) acked.push_back(seq);  // acks sent before the kill
    ::close(fds[0]);
    ASSERT_GT(acked.size(), before);

    auto report = verify({path}, {});
    ASSERT_TRUE(report.ok) << format_report(report);
    ASSERT_TRUE(report.last_seq.has_value());
    // seqs are contiguous from 0, so every acked seq up to last_seq is on disk.
    for (uint64_t s : acked) ASSERT_LE(s, *report.last_seq) << "acknowledged record " << s << " lost";
  }
  // The next writer resumes the chain after whatever the last kill left.
  auto log = AuditLog::open(options_for(path));
  ASSERT_TRUE(log.has_value()) << log.error();
  auto r = (*log)->append(sample_record(0)).get();
  ASSERT_TRUE(r.durable);
  (*log)->close();
  auto report = verify({path}, {.hmac_key = {}, .strict_tail = true});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.last_seq, r.seq);
}

}  // namespace
}  // namespace sy::gateway::audit
