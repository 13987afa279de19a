#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "app/delayed_executor.hpp"
#include "backends/backend.hpp"
#include "sy/local_engine/engine.hpp"

namespace sy::gateway {

// Runs chat requests on the embedded engine. The engine call blocks, so
// attempts run on a small pool of worker threads, never on I/O threads.
class LocalBackend : public Backend {
 public:
  // At most `max_queue` requests wait for a worker, each at most `queue_timeout`.
  LocalBackend(std::string name, std::unique_ptr<local_engine::Engine> engine, int workers, int max_queue,
               std::chrono::milliseconds queue_timeout);
  ~LocalBackend() override;
  const std::string& name() const override { return name_; }
  std::function<void()> start(const EgressPermit& permit, const BackendCall& call, AttemptSink sink) override;
  std::vector<std::string> models() const override { return {engine_->model_name()}; }
  local_engine::Engine& engine() { return *engine_; }
  int queue_depth() const;

 private:
  void worker_loop();
  std::string name_;
  std::unique_ptr<local_engine::Engine> engine_;
  int max_queue_;
  std::chrono::milliseconds queue_timeout_;
  struct Job {
    uint64_t id = 0;
    std::function<void(bool expired)> run;  // expired: waited past queue_timeout_
  };
  uint64_t next_job_id_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  DelayedExecutor expiry_;  // last member: stopped first, while the queue still exists
};

// OpenAI request (domain form) -> engine request.
local_engine::ChatCompletionRequest to_engine_request(const router::ChatRequest& r);

}  // namespace sy::gateway
