#include "sy/gateway/audit/writer.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "log_file.hpp"

namespace sy::gateway::audit {

WriterOptions writer_options(const config::AuditOptions& o) {
  WriterOptions w;
  w.path = o.path;
  w.fsync = o.fsync == "interval" ? FsyncPolicy::kInterval : FsyncPolicy::kEveryRecord;
  w.fsync_interval = o.fsync_interval;
  w.hmac_key = o.hmac_key;
  w.rotate_bytes = o.rotate_bytes;
  w.rotate_daily = o.rotate_daily;
  w.on_failure = o.on_failure == "continue" ? OnFailure::kContinue : OnFailure::kReject;
  w.queue_capacity = o.queue_capacity;
  return w;
}

class AuditLog::Impl {
 public:
  explicit Impl(WriterOptions o)
      : options_(std::move(o)),
        file_(options_.path, ChainHasher(options_.hmac_key), options_.rotate_bytes, options_.rotate_daily) {
    if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
    if (options_.queue_capacity == 0) options_.queue_capacity = 1;
  }

  std::expected<void, std::string> open_file() {
    auto r = file_.open(today());
    next_seq_.store(file_.next_seq());
    return r;
  }
  void start() { thread_ = std::thread([this] { run(); }); }

  void append(nlohmann::json record, AppendCallback done) {
    std::string refused;
    {
      std::lock_guard lk(mu_);
      if (closed_) {
        refused = "audit log is closed";
      } else if (queue_.size() >= options_.queue_capacity) {
        refused = "audit queue is full (queue_capacity " + std::to_string(options_.queue_capacity) + ")";
      } else {
        queue_.push_back({std::move(record), std::move(done)});
      }
    }
    if (!refused.empty()) {
      fail(done, refused);
      return;
    }
    cv_.notify_one();
  }

  void close() {
    {
      std::lock_guard lk(mu_);
      if (closed_) return;
      closed_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    file_.close();
  }

  WriterStats stats() const {
    WriterStats s;
    s.durable = durable_.load();
    s.failed = failed_.load();
    s.syncs = syncs_.load();
    s.rotations = rotations_.load();
    s.next_seq = next_seq_.load();
    return s;
  }

  WriterOptions options_;

 private:
  struct Item {
    nlohmann::json record;
    AppendCallback done;
  };
  struct Pending {
    std::uint64_t seq;
    AppendCallback done;
  };

  int64_t today() const {
    return std::chrono::floor<std::chrono::days>(options_.now()).time_since_epoch().count();
  }

  static void invoke(AppendCallback& done, const AppendResult& r) {
    if (!done) return;
    try {
      done(r);
    } catch (const std::exception& e) {
      spdlog::error("audit append callback threw: {}", e.what());
    }
  }

  void fail(AppendCallback& done, const std::string& why) {
    failed_.fetch_add(1);
    const auto now = std::chrono::steady_clock::now();
    // One line per second at most: a full disk must not also flood the log.
    if (now - last_error_log_.load() > std::chrono::seconds(1)) {
      last_error_log_.store(now);
      spdlog::error("audit record not written ({}): {}",
                    options_.on_failure == OnFailure::kContinue ? "continuing" : "failing the request", why);
    }
    invoke(done, {false, options_.on_failure == OnFailure::kContinue, 0, why});
  }

  void run() {
    std::vector<Item> batch;
    for (;;) {
      bool stopping = false;
      {
        std::unique_lock lk(mu_);
        auto ready = [&] { return !queue_.empty() || closed_; };
        if (pending_.empty()) {
          cv_.wait(lk, ready);
        } else {
          cv_.wait_until(lk, *sync_due_, ready);
        }
        batch.swap(queue_);
        stopping = closed_;
      }
      if (!batch.empty()) write(batch);
      batch.clear();
      if (!pending_.empty() && (options_.fsync == FsyncPolicy::kEveryRecord || stopping ||
                                std::chrono::steady_clock::now() >= *sync_due_)) {
        sync_and_ack();
      }
      if (stopping) {
        std::lock_guard lk(mu_);
        if (queue_.empty() && pending_.empty()) return;
      }
    }
  }

  void write(std::vector<Item>& batch) {
    if (!file_.is_open()) {
      if (auto r = file_.open(today()); !r) {
        for (auto& item : batch) fail(item.done, r.error());
        return;
      }
    }
    std::vector<nlohmann::json> records;
    records.reserve(batch.size());
    for (auto& item : batch) records.push_back(std::move(item.record));
    auto out = file_.append(records, today());
    next_seq_.store(file_.next_seq());
    rotations_.store(file_.rotations());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i < out.written) {
        pending_.push_back({out.first_seq + i, std::move(batch[i].done)});
      } else {
        fail(batch[i].done, out.error);
      }
    }
    if (!pending_.empty() && !sync_due_) sync_due_ = std::chrono::steady_clock::now() + options_.fsync_interval;
  }

  void sync_and_ack() {
    auto r = file_.sync();
    if (r) {
      syncs_.fetch_add(1);
      durable_.fetch_add(pending_.size());
      for (auto& p : pending_) invoke(p.done, {true, true, p.seq, {}});
    } else {
      // After a failed fdatasync the kernel may have dropped the pages: reopen
      // later and resume from what is really on disk.
      file_.close_data();
      for (auto& p : pending_) fail(p.done, r.error());
    }
    pending_.clear();
    sync_due_.reset();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Item> queue_;
  bool closed_ = false;
  std::thread thread_;
  detail::LogFile file_;
  // Writer thread only.
  std::vector<Pending> pending_;
  std::optional<std::chrono::steady_clock::time_point> sync_due_;
  std::atomic<std::uint64_t> durable_{0}, failed_{0}, syncs_{0}, rotations_{0}, next_seq_{0};
  std::atomic<std::chrono::steady_clock::time_point> last_error_log_{};
};

std::expected<std::unique_ptr<AuditLog>, std::string> AuditLog::open(WriterOptions options) {
  if (options.path.empty()) return std::unexpected(std::string("audit log path is empty"));
  auto impl = std::make_unique<Impl>(std::move(options));
  if (auto r = impl->open_file(); !r) {
    if (impl->options_.on_failure == OnFailure::kReject) return std::unexpected(r.error());
    spdlog::error("audit log unavailable, continuing without it until it can be written: {}", r.error());
  }
  impl->start();
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(impl)));
}

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() { close(); }

void AuditLog::append(nlohmann::json record, AppendCallback done) { impl_->append(std::move(record), std::move(done)); }

std::future<AppendResult> AuditLog::append(nlohmann::json record) {
  std::promise<AppendResult> promise;
  auto future = promise.get_future();
  impl_->append(std::move(record), [p = std::move(promise)](const AppendResult& r) mutable { p.set_value(r); });
  return future;
}

void AuditLog::close() { impl_->close(); }
WriterStats AuditLog::stats() const { return impl_->stats(); }
const WriterOptions& AuditLog::options() const { return impl_->options_; }

}  // namespace sy::gateway::audit
