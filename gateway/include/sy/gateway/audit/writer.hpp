#pragma once
// AuditLog: the dedicated writer of the hash-chained audit log.
//
// Callers append records from any thread; a bounded queue feeds one writer
// thread that assigns seq, seals the record (chain.hpp), writes whole lines
// with one write(2) per batch and fdatasync(2)s before acknowledging:
//  - kEveryRecord: sync as soon as a batch is written (records that queued up
//    meanwhile share the sync); an ack means the record is on disk.
//  - kInterval (group commit): sync at most `fsync_interval` after the first
//    unsynced write; acks wait for that sync.
// Either way nothing is acknowledged durable before its fdatasync returned.
//
// Startup: the chain resumes from the last complete record on disk (the active
// file, else the newest rotated file). A torn trailing line (a crash in the
// middle of a write) was never acknowledged, so it is truncated away, with a
// warning naming the byte count. A last record that is not a sealed record or
// whose hash does not verify with the configured key stops the chain: open
// fails (reject) or the writer keeps failing and logging (continue) until an
// operator moves the file aside — we never silently extend a chain we cannot
// vouch for.
//
// Failures (cannot open, write or sync; queue full; closed): the record's ack
// has durable=false and proceed=(on_failure == kContinue), and an error is
// logged. A failed write is cut back out of the file and its seq is reused,
// so the chain on disk stays intact.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <future>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sy/config/config.hpp"

namespace sy::gateway::audit {

enum class FsyncPolicy { kEveryRecord, kInterval };
enum class OnFailure { kReject, kContinue };

struct WriterOptions {
  std::string path;  // active file
  FsyncPolicy fsync = FsyncPolicy::kEveryRecord;
  std::chrono::milliseconds fsync_interval{50};
  std::string hmac_key;             // empty: plain SHA-256 chain
  std::size_t rotate_bytes = 256u << 20;  // 0: never by size
  bool rotate_daily = true;
  OnFailure on_failure = OnFailure::kReject;
  std::size_t queue_capacity = 4096;
  // Time source for daily rotation; tests inject one. Default: system_clock.
  std::function<std::chrono::system_clock::time_point()> now;
};

WriterOptions writer_options(const config::AuditOptions& o);

struct AppendResult {
  bool durable = false;  // sealed, written and synced
  bool proceed = false;  // the request may complete: durable, or on_failure == kContinue
  std::uint64_t seq = 0;  // valid when durable
  std::string error;
};

using AppendCallback = std::move_only_function<void(const AppendResult&)>;

struct WriterStats {
  std::uint64_t durable = 0;   // records acknowledged durable
  std::uint64_t failed = 0;    // records acknowledged not durable
  std::uint64_t syncs = 0;     // fdatasync calls that succeeded
  std::uint64_t rotations = 0;
  std::uint64_t next_seq = 0;  // seq the next record will get
};

class AuditLog {
 public:
  // kReject: fails when the log cannot be opened or resumed. kContinue: logs
  // the error and returns a writer that retries on every batch.
  static std::expected<std::unique_ptr<AuditLog>, std::string> open(WriterOptions options);
  ~AuditLog();  // close()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // `done` runs once, on the writer thread — or on the caller's thread when the
  // record is refused at once (queue full, closed). Keep it short: post to
  // your executor. `record` must be an object (to_json(RequestRecord)).
  void append(nlohmann::json record, AppendCallback done);
  std::future<AppendResult> append(nlohmann::json record);

  // Writes and syncs everything queued, then stops the thread; later appends fail.
  void close();
  WriterStats stats() const;
  const WriterOptions& options() const;

  class Impl;

 private:
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::gateway::audit
