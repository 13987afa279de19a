#pragma once
// Continuous batching for CpuEngine: one scheduler thread owns the forward
// pass. Callers submit a request and read its sampled tokens from the
// request's channel on their own thread (user callbacks never run on the
// scheduler). Each step, every decoding sequence feeds its next token and
// prefilling sequences feed a chunk of their prompt (capped per step so a long
// prompt cannot stall the decoders); sequences join and leave between steps.
// KV lives in a pool of slots that remember the tokens they hold, so a new
// request resumes from the slot it shares the longest prompt prefix with.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <expected>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sy/local_engine/engine.hpp"
#include "sy/local_engine/model.hpp"
#include "sy/local_engine/sampler.hpp"
#include "sy/local_engine/tokenizer.hpp"

namespace sy::local_engine {

// One request's channel between its caller and the scheduler.
struct SequenceRequest {
  std::vector<int32_t> prompt;  // copied: the caller's span may go away once it stops
  SamplingParams sampling;
  int max_tokens = 1;
  std::atomic<bool> stop{false};   // caller: leave at the next step boundary
  std::atomic<int> consumed{0};    // caller: tokens handed to on_token so far

  std::mutex mutex;  // guards the fields below
  std::condition_variable cv;
  std::vector<int32_t> tokens;  // sampled so far, in order
  bool done = false;
  std::string finish_reason;  // stop | length | cancelled
  std::optional<EngineError> error;
  int cached_prompt_tokens = 0;
};

struct SchedulerOptions {
  int n_ctx = 4096;
  model::KvType kv_type = model::KvType::kF32;
  model::NumericPath path = model::NumericPath::kFast;
  int max_active = 4;         // also the number of KV slots
  int max_queued = 64;        // waiting requests beyond max_active; more is kOverloaded
  int prefill_per_step = 512;  // prompt tokens per step, all sequences together
};

class Scheduler {
 public:
  // A sequence runs at most this many tokens ahead of its caller: a slow
  // consumer parks its sequence instead of making the engine compute tokens
  // the client may never take.
  static constexpr int kMaxRunahead = 16;

  Scheduler(const model::Model& model, const Tokenizer& tokenizer, kernels::cpu::ThreadPool* pool,
            const SchedulerOptions& options);
  // Fails waiting and running requests ("engine shut down") and joins the thread.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues the request (FIFO); kOverloaded when the queue is full.
  std::expected<void, EngineError> submit(std::shared_ptr<SequenceRequest> request);
  // Callers call this after consuming a token or setting stop, so a parked
  // or leaving sequence is looked at again.
  void poke();
  EngineStats stats() const;

 private:
  struct Slot {
    Slot(const model::HyperParams& hp, const SchedulerOptions& o)
        : seq(hp, o.n_ctx, o.kv_type, o.prefill_per_step) {}
    model::Sequence seq;
    std::vector<int32_t> tokens;  // tokens whose KV seq holds
    size_t prompt_len = 0;        // prompt of the last request served here
    uint64_t last_used = 0;       // 0: never
    bool busy = false;
  };
  struct Active {
    std::shared_ptr<SequenceRequest> req;
    Slot* slot = nullptr;
    runtime::Sampler sampler;
    size_t prefilled = 0;  // prompt tokens whose KV is in the slot
    int generated = 0;
    int32_t next = -1;  // sampled token fed at the next step
    bool decoding() const { return prefilled == req->prompt.size(); }
    bool parked() const { return generated - req->consumed.load() >= kMaxRunahead; }
  };
  struct StepRecord {
    int decode_tokens = 0;
    int prefill_tokens = 0;
    double seconds = 0.0;
  };

  void loop();
  bool has_work_locked() const;  // caller holds mutex_
  void admit_locked(std::shared_ptr<SequenceRequest> request);
  Slot* pick_slot(const std::vector<int32_t>& prompt, size_t& lcp);
  void run_step();
  // Removes active_[i], frees its slot and completes its request.
  void finish(size_t i, std::string reason, std::optional<EngineError> error = std::nullopt);
  void record_step(const StepRecord& r);
  static void complete(SequenceRequest& r, std::string reason, std::optional<EngineError> error);

  const model::Model& model_;
  const Tokenizer& tokenizer_;
  SchedulerOptions options_;
  kernels::cpu::ThreadPool* pool_;
  model::Forward forward_;
  std::vector<std::unique_ptr<Slot>> slots_;   // scheduler thread only
  std::vector<std::unique_ptr<Active>> active_;  // admission order; changed under mutex_
  uint64_t clock_ = 0;                          // slot LRU clock

  mutable std::mutex mutex_;  // guards queue_, stopping_, stats_, steps_, active_ size changes
  std::condition_variable cv_;
  std::deque<std::shared_ptr<SequenceRequest>> queue_;
  bool stopping_ = false;
  EngineStats stats_;
  std::deque<StepRecord> steps_;  // recent steps for the throughput figures
  std::thread thread_;            // last: starts after everything above exists
};

}  // namespace sy::local_engine
