#pragma once
// The file side of the audit writer: resume, append, sync, rotate. Used only
// by the writer thread, so it is not thread-safe.
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sy/gateway/audit/chain.hpp"

namespace sy::gateway::audit::detail {

class LogFile {
 public:
  LogFile(std::filesystem::path path, ChainHasher hasher, std::size_t rotate_bytes, bool rotate_daily);
  ~LogFile();
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Opens the active file, cuts a torn trailing line and resumes the chain.
  std::expected<void, std::string> open(int64_t today);

  struct AppendOutcome {
    std::size_t written = 0;  // leading records of the batch now in a file
    std::uint64_t first_seq = 0;
    std::string error;        // why the rest was not written
  };
  // Seals and writes `records` in order, rotating before a record when due.
  // A failed write is cut back out and its seqs are reused.
  AppendOutcome append(std::vector<nlohmann::json>& records, int64_t today);
  std::expected<void, std::string> sync();
  // Closes the file; the next open() resumes from what is on disk.
  void close_data() { close_fd(); }
  // Closes the file and releases the lock.
  void close();

  std::uint64_t next_seq() const { return next_seq_; }
  std::uint64_t rotations() const { return rotations_; }

 private:
  // true when `file` held a complete record to continue from.
  std::expected<bool, std::string> resume_from(const std::filesystem::path& file, int fd, bool active);
  void rotate(int64_t today);
  std::expected<void, std::string> open_active();
  std::expected<void, std::string> lock();
  void close_fd();

  std::filesystem::path path_;
  ChainHasher hasher_;
  std::size_t rotate_bytes_;
  bool rotate_daily_;
  int fd_ = -1;
  int lock_fd_ = -1;          // flock on <dir>/.<name>.lock: one writer per chain
  bool regular_ = true;       // rotation and resume apply to regular files only
  std::uint64_t bytes_ = 0;   // size of the active file
  std::uint64_t rotate_floor_ = 0;  // bytes at a failed rotation; retry after rotate_bytes more
  int64_t day_ = 0;           // UTC day the active file was started
  std::uint64_t next_seq_ = 0;
  std::string last_hash_{kGenesisPrev};
  std::uint64_t rotations_ = 0;
};

}  // namespace sy::gateway::audit::detail
