#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "audit_test_util.hpp"
#include "sy/gateway/audit/chain.hpp"
#include "sy/gateway/audit/files.hpp"
#include "sy/gateway/audit/verify.hpp"

namespace sy::gateway::audit {
namespace {
using namespace testing;
namespace fs = std::filesystem;

std::vector<std::string> as_strings(const std::vector<fs::path>& files) {
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(f.string());
  return out;
}

TEST(AuditWriter, ChainRoundTrip) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value()) << log.error();
    for (int i = 0; i < 20; ++i) {
      auto r = (*log)->append(sample_record(i)).get();
      ASSERT_TRUE(r.durable) << r.error;
      EXPECT_TRUE(r.proceed);
      EXPECT_EQ(r.seq, static_cast<uint64_t>(i));
    }
  }
  auto lines = read_lines(path);
  ASSERT_EQ(lines.size(), 20u);
  EXPECT_EQ(nlohmann::json::parse(lines[5])["request_id"], "req-5");
  auto report = verify({path}, {});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.records, 20u);
  EXPECT_EQ(report.first_seq, 0u);
  EXPECT_EQ(report.last_seq, 19u);
  EXPECT_TRUE(report.warnings.empty());
}

TEST(AuditWriter, EveryRecordAcknowledgesOnlyWhatIsInTheFileAfterASync) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  auto log = AuditLog::open(options_for(path));
  ASSERT_TRUE(log.has_value());
  std::mutex mu;
  std::vector<std::string> problems;
  std::atomic<int> acked{0};
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "req-" + std::to_string(t) + "-" + std::to_string(i);
        auto rec = sample_record(i);
        rec["request_id"] = id;
        std::promise<void> done;
        auto waited = done.get_future();
        (*log)->append(std::move(rec), [&, id, done = std::move(done)](const AppendResult& r) mutable {
          // On the writer thread, at ack time: the record must already be in
          // the file and at least one sync must have completed.
          const std::string content = read_all(path);
          std::lock_guard lk(mu);
          if (!r.durable) problems.push_back(id + ": not durable: " + r.error);
          if (content.find("\"" + id + "\"") == std::string::npos) problems.push_back(id + ": acked before written");
          if ((*log)->stats().syncs == 0) problems.push_back(id + ": acked before any sync");
          ++acked;
          done.set_value();
        });
        waited.wait();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(problems.empty()) << problems.front();
  EXPECT_EQ(acked.load(), kThreads * kPerThread);
  (*log)->close();
  auto report = verify({path}, {});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.records, static_cast<uint64_t>(kThreads * kPerThread));
}

TEST(AuditWriter, GroupCommitSharesOneSyncAmongRecordsOfAnInterval) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  auto o = options_for(path);
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval = std::chrono::milliseconds(300);
  auto log = AuditLog::open(o);
  ASSERT_TRUE(log.has_value());
  std::vector<std::future<AppendResult>> acks;
  for (int i = 0; i < 30; ++i) acks.push_back((*log)->append(sample_record(i)));
  for (auto& a : acks) {
    auto r = a.get();
    EXPECT_TRUE(r.durable) << r.error;
  }
  const auto stats = (*log)->stats();
  EXPECT_EQ(stats.durable, 30u);
  EXPECT_GE(stats.syncs, 1u);
  EXPECT_LE(stats.syncs, 3u);  // 30 records appended at once: not one sync each
  (*log)->close();
  EXPECT_TRUE(verify({path}, {}).ok);
}

TEST(AuditWriter, CloseFlushesQueuedRecords) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  auto o = options_for(path);
  o.fsync = FsyncPolicy::kInterval;
  o.fsync_interval = std::chrono::milliseconds(60'000);
  auto log = AuditLog::open(o);
  ASSERT_TRUE(log.has_value());
  std::vector<std::future<AppendResult>> acks;
  for (int i = 0; i < 10; ++i) acks.push_back((*log)->append(sample_record(i)));
  (*log)->close();
  for (auto& a : acks) EXPECT_TRUE(a.get().durable);
  EXPECT_EQ(read_lines(path).size(), 10u);
  auto late = (*log)->append(sample_record(11)).get();
  EXPECT_FALSE(late.durable);
  EXPECT_FALSE(late.proceed);  // reject policy
}

TEST(AuditWriter, RotationBySizeKeepsTheChainAcrossFiles) {
  TempDir dir;
  const auto path = dir.file("switchyard-audit.jsonl");
  auto o = options_for(path);
  o.rotate_bytes = 3000;
  {
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value());
    append_n(**log, 40);
    EXPECT_GE((*log)->stats().rotations, 3u);
  }
  auto files = chain_files(path);
  ASSERT_GE(files.size(), 4u);
  EXPECT_EQ(files.back(), fs::path(path));
  std::string prev_last_hash;
  size_t total = 0;
  for (const auto& f : files) {
    EXPECT_LE(fs::file_size(f), 3000u) << f;
    auto lines = read_lines(f.string());
    ASSERT_FALSE(lines.empty()) << f;
    total += lines.size();
    if (!prev_last_hash.empty()) {
      EXPECT_EQ(nlohmann::json::parse(lines.front())["prev"], prev_last_hash) << f;
    }
    prev_last_hash = nlohmann::json::parse(lines.back())["hash"];
  }
  EXPECT_EQ(total, 40u);
  // Rotated names sort by day and index; the verifier orders by seq anyway.
  auto shuffled = as_strings(files);
  std::reverse(shuffled.begin(), shuffled.end());
  auto report = verify(order_by_first_seq(shuffled), {});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.records, 40u);
  EXPECT_EQ(report.files, files.size());
  // Verifying the files out of order is a failure, not a pass.
  EXPECT_FALSE(verify(shuffled, {}).ok);
}

TEST(AuditWriter, DailyRotationNamesTheFileByItsDay) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  auto o = options_for(path);
  o.rotate_daily = true;
  using namespace std::chrono;
  const auto day1 = sys_days{year{2026} / 11 / 21} + hours(23) + minutes(59);
  std::atomic<int64_t> now_ms{duration_cast<milliseconds>(day1.time_since_epoch()).count()};
  o.now = [&] { return system_clock::time_point(milliseconds(now_ms.load())); };
  {
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value());
    append_n(**log, 3);
    now_ms += duration_cast<milliseconds>(minutes(2)).count();  // 2026-11-22 00:01
    append_n(**log, 2, 3);
    EXPECT_EQ((*log)->stats().rotations, 1u);
  }
  const fs::path rotated = dir.path() / "audit-20261121-0001.jsonl";
  ASSERT_TRUE(fs::exists(rotated));
  EXPECT_EQ(read_lines(rotated.string()).size(), 3u);
  EXPECT_EQ(read_lines(path).size(), 2u);
  auto report = verify(as_strings(chain_files(path)), {});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.records, 5u);
}

TEST(AuditWriter, ReopenResumesTheChain) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  for (int round = 0; round < 3; ++round) {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value()) << log.error();
    EXPECT_EQ((*log)->stats().next_seq, static_cast<uint64_t>(round * 4));
    auto r = (*log)->append(sample_record(round * 10)).get();
    ASSERT_TRUE(r.durable);
    EXPECT_EQ(r.seq, static_cast<uint64_t>(round * 4));
    append_n(**log, 3, round * 10 + 1);
  }
  auto report = verify({path}, {});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.records, 12u);
  EXPECT_EQ(report.last_seq, 11u);
}

TEST(AuditWriter, ResumesFromTheNewestRotatedFileWhenTheActiveOneIsMissing) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value());
    append_n(**log, 4);
  }
  // A crash between the rename of a rotation and the creation of the new file.
  fs::rename(path, dir.path() / "audit-20261122-0001.jsonl");
  {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value());
    auto r = (*log)->append(sample_record(9)).get();
    EXPECT_EQ(r.seq, 4u);
  }
  auto report = verify(as_strings(chain_files(path)), {});
  EXPECT_TRUE(report.ok) << format_report(report);
  EXPECT_EQ(report.records, 5u);
}

TEST(AuditWriter, ResumeCutsATornLastLine) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value());
    append_n(**log, 3);
  }
  const auto intact = read_all(path);
  {
    std::ofstream out(path, std::ios::binary | std::ios::app);
    out << R"({"alg":"sha256","prev":"00","request_id":"torn)";  // a write cut short
  }
  auto lenient = verify({path}, {});
  EXPECT_TRUE(lenient.ok) << format_report(lenient);
  EXPECT_EQ(lenient.records, 3u);
  ASSERT_EQ(lenient.warnings.size(), 1u);
  EXPECT_NE(lenient.warnings[0].find(":4: incomplete last line"), std::string::npos) << lenient.warnings[0];
  auto strict = verify({path}, {.hmac_key = {}, .strict_tail = true});
  EXPECT_FALSE(strict.ok);
  EXPECT_EQ(strict.why, Break::kTruncated);
  EXPECT_EQ(strict.line, 4u);

  auto log = AuditLog::open(options_for(path));
  ASSERT_TRUE(log.has_value()) << log.error();
  EXPECT_EQ(read_all(path), intact);  // the torn bytes are gone, nothing else
  auto r = (*log)->append(sample_record(3)).get();
  EXPECT_EQ(r.seq, 3u);
  (*log)->close();
  auto after = verify({path}, {.hmac_key = {}, .strict_tail = true});
  EXPECT_TRUE(after.ok) << format_report(after);
  EXPECT_EQ(after.records, 4u);
}

TEST(AuditWriter, RefusesToExtendAChainWhoseLastRecordDoesNotVerify) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  {
    auto log = AuditLog::open(options_for(path));
    ASSERT_TRUE(log.has_value());
    append_n(**log, 3);
  }
  auto lines = read_lines(path);
  lines.back().replace(lines.back().find("req-2"), 5, "req-X");
  write_lines(path, lines);
  auto log = AuditLog::open(options_for(path));
  ASSERT_FALSE(log.has_value());
  EXPECT_NE(log.error().find("does not verify"), std::string::npos) << log.error();
}

TEST(AuditWriter, RefusesToExtendAChainWrittenWithAnotherKey) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  auto o = options_for(path);
  o.hmac_key = "key-one";
  {
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value());
    append_n(**log, 2);
  }
  o.hmac_key = "key-two";
  EXPECT_FALSE(AuditLog::open(o).has_value());
  o.hmac_key = "key-one";
  EXPECT_TRUE(AuditLog::open(o).has_value());
}

TEST(AuditWriter, OneWriterPerChain) {
  TempDir dir;
  const auto path = dir.file("audit.jsonl");
  auto first = AuditLog::open(options_for(path));
  ASSERT_TRUE(first.has_value());
  auto second = AuditLog::open(options_for(path));
  ASSERT_FALSE(second.has_value());
  EXPECT_NE(second.error().find("in use by another writer"), std::string::npos) << second.error();
  append_n(**first, 2);
  first->reset();
  auto third = AuditLog::open(options_for(path));
  ASSERT_TRUE(third.has_value()) << third.error();
  EXPECT_EQ((*third)->append(sample_record(2)).get().seq, 2u);
  // The lock file is hidden from globs and from the chain.
  EXPECT_EQ(chain_files(path), std::vector<fs::path>{fs::path(path)});
}

TEST(AuditWriter, UnwritablePathFailsOpenWhenRejecting) {
  TempDir dir;
  // A directory cannot be created under a regular file, whoever runs the test.
  write_lines(dir.file("not-a-dir"), {"x"});
  auto o = options_for(dir.file("not-a-dir/audit.jsonl"));
  auto log = AuditLog::open(o);
  ASSERT_FALSE(log.has_value());
  EXPECT_NE(log.error().find("not-a-dir/audit.jsonl"), std::string::npos) << log.error();
}

TEST(AuditWriter, UnwritablePathLetsRequestsProceedWhenContinuing) {
  TempDir dir;
  write_lines(dir.file("not-a-dir"), {"x"});
  auto o = options_for(dir.file("not-a-dir/audit.jsonl"));
  o.on_failure = OnFailure::kContinue;
  auto log = AuditLog::open(o);
  ASSERT_TRUE(log.has_value());
  auto r = (*log)->append(sample_record(0)).get();
  EXPECT_FALSE(r.durable);
  EXPECT_TRUE(r.proceed);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ((*log)->stats().failed, 1u);
}

TEST(AuditWriter, WriteErrorsFailAsConfigured) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  for (auto policy : {OnFailure::kReject, OnFailure::kContinue}) {
    auto o = options_for("/dev/full");  // every write fails with ENOSPC
    o.on_failure = policy;
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value()) << log.error();
    auto r = (*log)->append(sample_record(0)).get();
    EXPECT_FALSE(r.durable);
    EXPECT_EQ(r.proceed, policy == OnFailure::kContinue);
    EXPECT_NE(r.error.find("cannot write"), std::string::npos) << r.error;
  }
}

TEST(AuditWriter, AFullQueueRefusesAtOnce) {
  TempDir dir;
  auto o = options_for(dir.file("audit.jsonl"));
  o.queue_capacity = 2;
  auto log = AuditLog::open(o);
  ASSERT_TRUE(log.has_value());
  // Hold the writer thread inside the first ack so the queue cannot drain.
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  (*log)->append(sample_record(0), [&](const AppendResult&) {
    std::unique_lock lk(mu);
    entered = true;
    cv.notify_all();
    cv.wait(lk, [&] { return release; });
  });
  {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return entered; });
  }
  auto a = (*log)->append(sample_record(1));
  auto b = (*log)->append(sample_record(2));
  auto refused = (*log)->append(sample_record(3));
  ASSERT_EQ(refused.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto r = refused.get();
  EXPECT_FALSE(r.durable);
  EXPECT_FALSE(r.proceed);
  EXPECT_NE(r.error.find("queue is full"), std::string::npos) << r.error;
  {
    std::lock_guard lk(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(a.get().durable);
  EXPECT_TRUE(b.get().durable);
}

}  // namespace
}  // namespace sy::gateway::audit
