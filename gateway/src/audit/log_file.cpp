#include "log_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "sy/gateway/audit/files.hpp"

namespace sy::gateway::audit::detail {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kTailChunk = 64 * 1024;
constexpr std::size_t kFirstLineMax = 1 << 20;  // only used to date the file

std::string sys_error(std::string_view what, const fs::path& p) {
  return fmt::format("{} {}: {}", what, p.string(), std::strerror(errno));
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

bool pread_all(int fd, char* buf, std::size_t n, off_t off) {
  while (n > 0) {
    ssize_t r = ::pread(fd, buf, n, off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
    off += r;
  }
  return true;
}

// A rename or create is durable only once its directory is synced.
void sync_dir(const fs::path& file) {
  fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
  int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0) return;
  ::fsync(d);
  ::close(d);
}

struct Tail {
  std::string last_line;          // last newline-terminated line, without '\n'
  std::uint64_t complete_end = 0;  // offset just past that '\n'
};

std::expected<Tail, std::string> read_tail(int fd, std::uint64_t size, const fs::path& p) {
  for (std::size_t chunk = kTailChunk;; chunk *= 2) {
    const std::uint64_t start = size > chunk ? size - chunk : 0;
    std::string s(size - start, '\0');
    if (!pread_all(fd, s.data(), s.size(), static_cast<off_t>(start))) return std::unexpected(sys_error("cannot read", p));
    const std::size_t end = s.rfind('\n');
    if (end == std::string::npos) {
      if (start == 0) return Tail{};  // no complete line at all
      continue;
    }
    const std::size_t begin = end == 0 ? std::string::npos : s.rfind('\n', end - 1);
    if (begin == std::string::npos && start > 0) continue;
    Tail t;
    t.complete_end = start + end + 1;
    const std::size_t from = begin == std::string::npos ? 0 : begin + 1;
    t.last_line = s.substr(from, end - from);
    return t;
  }
}

std::string read_first_line(int fd, std::uint64_t size) {
  std::string s(std::min<std::uint64_t>(size, kFirstLineMax), '\0');
  if (!pread_all(fd, s.data(), s.size(), 0)) return {};
  const std::size_t nl = s.find('\n');
  return nl == std::string::npos ? std::string{} : s.substr(0, nl);
}

}  // namespace

LogFile::LogFile(fs::path path, ChainHasher hasher, std::size_t rotate_bytes, bool rotate_daily)
    : path_(std::move(path)), hasher_(std::move(hasher)), rotate_bytes_(rotate_bytes), rotate_daily_(rotate_daily) {}

LogFile::~LogFile() { close(); }

void LogFile::close() {
  close_fd();
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
}

// Two gateways appending to one chain would interleave seqs and break it. The
// lock lives beside the log, not on it, so that it survives rotation; hidden,
// so that `audit verify dir/*` does not pick it up.
std::expected<void, std::string> LogFile::lock() {
  if (lock_fd_ >= 0) return {};
  const fs::path lock_path = path_.parent_path() / ("." + path_.filename().string() + ".lock");
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (lock_fd_ < 0) return std::unexpected(sys_error("cannot open audit lock file", lock_path));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    auto err = errno == EWOULDBLOCK
                   ? fmt::format("audit log {} is in use by another writer (lock {})", path_.string(), lock_path.string())
                   : sys_error("cannot lock", lock_path);
    ::close(lock_fd_);
    lock_fd_ = -1;
    return std::unexpected(err);
  }
  return {};
}

void LogFile::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::expected<void, std::string> LogFile::open_active() {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return std::unexpected(sys_error("cannot open audit log", path_));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    auto err = sys_error("cannot stat audit log", path_);
    close_fd();
    return std::unexpected(err);
  }
  regular_ = S_ISREG(st.st_mode);
  bytes_ = regular_ ? static_cast<std::uint64_t>(st.st_size) : 0;
  return {};
}

std::expected<void, std::string> LogFile::open(int64_t today) {
  close_fd();
  next_seq_ = 0;
  last_hash_ = std::string(kGenesisPrev);
  rotate_floor_ = 0;
  day_ = today;
  std::error_code ec;
  if (!path_.parent_path().empty()) fs::create_directories(path_.parent_path(), ec);
  if (auto r = open_active(); !r) return r;
  sync_dir(path_);
  if (!regular_) {
    spdlog::warn("audit log {} is not a regular file: no resume, rotation or fsync", path_.string());
    return {};
  }
  auto fail = [this](std::string err) -> std::expected<void, std::string> {
    close_fd();
    return std::unexpected(std::move(err));
  };
  if (auto r = lock(); !r) return fail(r.error());
  auto found = resume_from(path_, fd_, true);
  if (!found) return fail(found.error());
  if (*found) {
    auto first = nlohmann::json::parse(read_first_line(fd_, bytes_), nullptr, false);
    // `time` is ISO-8601 (record.hpp) or epoch milliseconds.
    if (first.is_object() && first.contains("time")) {
      const auto& t = first["time"];
      if (t.is_string()) {
        if (auto day = day_of_iso_time(t.get<std::string>())) day_ = *day;
      } else if (t.is_number_integer()) {
        day_ = std::chrono::floor<std::chrono::days>(std::chrono::milliseconds(t.get<int64_t>())).count();
      }
    }
    return {};
  }
  auto rotated = rotated_files(path_);
  if (rotated.empty()) return {};
  int rfd = ::open(rotated.back().c_str(), O_RDONLY | O_CLOEXEC);
  if (rfd < 0) return fail(sys_error("cannot open", rotated.back()));
  auto prev = resume_from(rotated.back(), rfd, false);
  ::close(rfd);
  if (!prev) return fail(prev.error());
  return {};
}

std::expected<bool, std::string> LogFile::resume_from(const fs::path& file, int fd, bool active) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::unexpected(sys_error("cannot stat", file));
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == 0) return false;
  auto tail = read_tail(fd, size, file);
  if (!tail) return std::unexpected(tail.error());
  if (active && tail->complete_end < size) {
    // A crash cut this write short, so it was never acknowledged: drop it.
    spdlog::warn("audit log {}: dropping an incomplete last line ({} bytes) left by an interrupted write",
                 file.string(), size - tail->complete_end);
    if (::ftruncate(fd, static_cast<off_t>(tail->complete_end)) != 0 || ::fdatasync(fd) != 0)
      return std::unexpected(sys_error("cannot truncate the incomplete last line of", file));
    bytes_ = tail->complete_end;
  }
  if (tail->complete_end == 0) return false;
  auto refuse = [&](std::string_view what) -> std::expected<bool, std::string> {
    return std::unexpected(fmt::format(
        "cannot resume the audit chain: the last record of {} {}; run `switchyard audit verify` and move the file aside",
        file.string(), what));
  };
  auto u = unseal(tail->last_line);
  if (!u) return refuse("is not a sealed audit record");
  auto j = nlohmann::json::parse(u->body, nullptr, false);
  if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned())
    return refuse("is not a sealed audit record");
  if (hasher_.hex_digest(u->body) != u->hash) return refuse("does not verify with the configured audit key");
  next_seq_ = j["seq"].get<std::uint64_t>() + 1;
  last_hash_ = u->hash;
  return true;
}

LogFile::AppendOutcome LogFile::append(std::vector<nlohmann::json>& records, int64_t today) {
  AppendOutcome out;
  out.first_seq = next_seq_;
  if (!is_open()) {
    out.error = "audit log is not open";
    return out;
  }
  std::string buf;
  std::size_t seg_count = 0;
  std::uint64_t seg_seq = next_seq_;
  std::string seg_prev = last_hash_;
  auto flush = [&]() -> bool {
    if (seg_count == 0) return true;
    const std::uint64_t before = bytes_;
    if (!write_all(fd_, buf.data(), buf.size())) {
      out.error = sys_error("cannot write audit log", path_);
      if (regular_ && ::ftruncate(fd_, static_cast<off_t>(before)) != 0)
        spdlog::error("audit log {}: cannot cut back a failed write: {}", path_.string(), std::strerror(errno));
      next_seq_ = seg_seq;
      last_hash_ = seg_prev;
      return false;
    }
    if (regular_) bytes_ += buf.size();
    out.written += seg_count;
    buf.clear();
    seg_count = 0;
    seg_seq = next_seq_;
    seg_prev = last_hash_;
    return true;
  };
  for (auto& record : records) {
    Sealed s = seal(std::move(record), next_seq_, last_hash_, hasher_);
    const std::uint64_t pending = bytes_ + buf.size();
    const bool by_size = rotate_bytes_ > 0 && pending + s.line.size() + 1 > rotate_floor_ + rotate_bytes_;
    const bool by_day = rotate_daily_ && today != day_;
    if (regular_ && pending > 0 && (by_size || by_day)) {
      if (!flush()) return out;
      rotate(today);
      if (!is_open()) {
        out.error = "audit log could not be reopened after rotation";
        return out;
      }
    } else if (pending == 0) {
      day_ = today;
    }
    buf.append(s.line).push_back('\n');
    ++seg_count;
    ++next_seq_;
    last_hash_ = std::move(s.hash);
  }
  flush();
  return out;
}

void LogFile::rotate(int64_t today) {
  // The old file must be durable before it leaves the active name.
  if (::fdatasync(fd_) != 0) {
    spdlog::error("audit log {}: rotation skipped, fdatasync failed: {}", path_.string(), std::strerror(errno));
    rotate_floor_ = bytes_;
    day_ = today;
    return;
  }
  unsigned index = 1;
  std::error_code ec;
  while (fs::exists(rotated_path(path_, day_, index), ec)) ++index;
  const fs::path target = rotated_path(path_, day_, index);
  close_fd();
  if (std::rename(path_.c_str(), target.c_str()) != 0) {
    spdlog::error("{}; writing on to the active file", sys_error("audit log rotation failed: cannot rename", path_));
    if (open_active()) {
      rotate_floor_ = bytes_;
      day_ = today;
    }
    return;
  }
  sync_dir(path_);
  if (auto r = open_active(); !r) {
    spdlog::error("audit log rotation: {}", r.error());
    return;
  }
  sync_dir(path_);
  bytes_ = 0;
  rotate_floor_ = 0;
  day_ = today;
  ++rotations_;
}

std::expected<void, std::string> LogFile::sync() {
  if (!is_open()) return std::unexpected(std::string("audit log is not open"));
  if (regular_ && ::fdatasync(fd_) != 0) return std::unexpected(sys_error("cannot fdatasync audit log", path_));
  return {};
}

}  // namespace sy::gateway::audit::detail
