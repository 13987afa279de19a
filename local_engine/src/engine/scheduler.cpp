#include "engine/scheduler.hpp"

#include <algorithm>
#include <chrono>

#include "gguf/strcat.hpp"

namespace sy::local_engine {

using sy::local_engine::detail::cat;

namespace {

constexpr size_t kStatsWindow = 32;  // steps behind the recent_*_tok_s figures

}  // namespace

Scheduler::Scheduler(const model::Model& model, const Tokenizer& tokenizer, kernels::cpu::ThreadPool* pool,
                     const SchedulerOptions& options)
    : model_(model), tokenizer_(tokenizer), options_(options), pool_(pool), forward_(model, options.path, pool) {
  options_.max_active = std::max(1, options_.max_active);
  options_.max_queued = std::max(0, options_.max_queued);
  options_.prefill_per_step = std::max(1, options_.prefill_per_step);
  for (int i = 0; i < options_.max_active; ++i) slots_.push_back(std::make_unique<Slot>(model.hparams(), options_));
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::expected<void, EngineError> Scheduler::submit(std::shared_ptr<SequenceRequest> request) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return std::unexpected(EngineError{EngineError::Code::kInternal, "engine is shutting down"});
    if (static_cast<int>(queue_.size()) >= options_.max_queued)
      return std::unexpected(EngineError{EngineError::Code::kOverloaded,
                                         cat("engine queue is full (", options_.max_queued, " waiting requests)")});
    queue_.push_back(std::move(request));
    stats_.queue_depth = static_cast<int>(queue_.size());
  }
  cv_.notify_all();
  return {};
}

void Scheduler::poke() {
  // Taking the lock orders this wake-up after the scheduler's last look at
  // the request, so it cannot be lost.
  { std::lock_guard lock(mutex_); }
  cv_.notify_all();
}

EngineStats Scheduler::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Scheduler::complete(SequenceRequest& r, std::string reason, std::optional<EngineError> error) {
  {
    std::lock_guard lock(r.mutex);
    r.done = true;
    r.finish_reason = std::move(reason);
    r.error = std::move(error);
  }
  r.cv.notify_all();
}

bool Scheduler::has_work_locked() const {
  if (stopping_) return true;
  if (!queue_.empty() && active_.size() < slots_.size()) return true;
  for (const auto& a : active_)
    if (a->req->stop.load() || !a->parked()) return true;
  return false;
}

Scheduler::Slot* Scheduler::pick_slot(const std::vector<int32_t>& prompt, size_t& lcp) {
  // A request that extends what a slot last served (its whole previous prompt
  // is a prefix; a repeated prompt recomputes its last token for logits) goes
  // back to that slot. Otherwise it takes the least recently used idle slot:
  // choosing by longest prefix alone would let a new conversation evict
  // another one's KV only because both start with the same system prompt.
  Slot* resume = nullptr;
  Slot* lru = nullptr;
  size_t resume_len = 0;
  const size_t limit = prompt.size() - 1;  // always run >= 1 prompt token to get logits
  for (auto& s : slots_) {
    if (s->busy) continue;
    size_t n = 0;
    const size_t m = std::min(s->tokens.size(), limit);
    while (n < m && s->tokens[n] == prompt[n]) ++n;
    const size_t keep = static_cast<size_t>(s->seq.reusable(static_cast<int>(n)));
    if (keep > 0 && keep + 1 >= s->prompt_len && keep > resume_len) {
      resume = s.get();
      resume_len = keep;
    }
    if (!lru || s->last_used < lru->last_used) lru = s.get();
  }
  Slot* s = resume ? resume : lru;
  if (!s) return nullptr;
  size_t n = 0;
  const size_t m = std::min(s->tokens.size(), limit);
  while (n < m && s->tokens[n] == prompt[n]) ++n;
  lcp = n;
  return s;
}

void Scheduler::admit_locked(std::shared_ptr<SequenceRequest> request) {
  if (request->stop.load()) {
    complete(*request, "cancelled", std::nullopt);
    return;
  }
  size_t lcp = 0;
  Slot* slot = pick_slot(request->prompt, lcp);
  if (!slot) {  // cannot happen: admission keeps active_ below the slot count
    complete(*request, "", EngineError{EngineError::Code::kInternal, "no free KV slot"});
    return;
  }
  const int kept = slot->seq.truncate(static_cast<int>(lcp));
  slot->tokens.resize(static_cast<size_t>(kept));
  slot->prompt_len = request->prompt.size();
  slot->busy = true;
  {
    std::lock_guard lock(request->mutex);
    request->cached_prompt_tokens = kept;
  }
  auto a = std::make_unique<Active>(Active{request, slot, runtime::Sampler(request->sampling), static_cast<size_t>(kept)});
  active_.push_back(std::move(a));
  stats_.active_sequences = static_cast<int>(active_.size());
}

void Scheduler::finish(size_t i, std::string reason, std::optional<EngineError> error) {
  std::unique_ptr<Active> a = std::move(active_[i]);
  active_.erase(active_.begin() + static_cast<long>(i));
  a->slot->busy = false;
  a->slot->last_used = ++clock_;
  if (error) {  // the slot's KV may be half written: forget it
    a->slot->seq.reset();
    a->slot->tokens.clear();
  }
  {
    // Stats first: a caller that sees its request done also sees it gone.
    std::lock_guard lock(mutex_);
    stats_.active_sequences = static_cast<int>(active_.size());
  }
  complete(*a->req, std::move(reason), std::move(error));
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return has_work_locked(); });
      if (stopping_) break;
      while (!queue_.empty() && active_.size() < slots_.size()) {
        auto r = std::move(queue_.front());
        queue_.pop_front();
        admit_locked(std::move(r));
      }
      stats_.queue_depth = static_cast<int>(queue_.size());
    }
    for (size_t i = active_.size(); i-- > 0;)
      if (active_[i]->req->stop.load()) finish(i, "cancelled");
    run_step();
  }
  const EngineError down{EngineError::Code::kInternal, "engine shut down"};
  while (!active_.empty()) finish(active_.size() - 1, "", down);
  std::deque<std::shared_ptr<SequenceRequest>> waiting;
  {
    std::lock_guard lock(mutex_);
    waiting.swap(queue_);
    stats_.queue_depth = 0;
  }
  for (auto& r : waiting) complete(*r, "", down);
}

void Scheduler::run_step() {
  std::vector<model::BatchChunk> chunks;
  std::vector<Active*> owners;
  StepRecord rec;
  // Decoders first (one token each), then prompt chunks within the budget.
  for (auto& a : active_) {
    if (!a->decoding() || a->parked()) continue;
    chunks.push_back(model::BatchChunk{&a->slot->seq, std::span<const int32_t>(&a->next, 1), 1});
    owners.push_back(a.get());
    ++rec.decode_tokens;
  }
  int budget = options_.prefill_per_step;
  for (auto& a : active_) {
    if (a->decoding() || budget == 0) continue;
    const auto& prompt = a->req->prompt;
    const int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(budget), prompt.size() - a->prefilled));
    const bool last = a->prefilled + static_cast<size_t>(n) == prompt.size();
    chunks.push_back(model::BatchChunk{&a->slot->seq, std::span<const int32_t>(prompt).subspan(a->prefilled, static_cast<size_t>(n)),
                                       last ? 1 : 0});
    owners.push_back(a.get());
    budget -= n;
    rec.prefill_tokens += n;
  }
  if (chunks.empty()) return;

  std::vector<float> logits;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = forward_.step(chunks, logits);
  rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r) {
    // Requests are validated on submit, so this is an engine bug: fail the
    // sequences of this step only.
    for (Active* o : owners) {
      auto it = std::find_if(active_.begin(), active_.end(), [&](const auto& p) { return p.get() == o; });
      finish(static_cast<size_t>(it - active_.begin()), "", EngineError{EngineError::Code::kInternal, r.error()});
    }
    return;
  }
  record_step(rec);

  // Sampling a full-vocabulary row (softmax over ~200k logits) costs about as
  // much as a small model's forward, so the rows are sampled in parallel;
  // each sequence has its own sampler, so results do not depend on the split.
  const size_t V = static_cast<size_t>(model_.hparams().n_vocab);
  std::vector<Active*> sampling;
  for (size_t c = 0; c < chunks.size(); ++c)
    if (chunks[c].logit_rows > 0) sampling.push_back(owners[c]);
  std::vector<int32_t> sampled(sampling.size());
  auto sample_rows = [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const size_t r = static_cast<size_t>(i);
      sampled[r] = sampling[r]->sampler.sample(std::span<const float>(logits.data() + r * V, V));
    }
  };
  kernels::cpu::parallel_for(sampling.size() > 1 ? pool_ : nullptr, static_cast<int64_t>(sampling.size()), 1,
                             sample_rows);

  size_t row = 0;
  std::vector<std::pair<Active*, std::string>> leaving;
  for (size_t c = 0; c < chunks.size(); ++c) {
    Active& a = *owners[c];
    a.slot->tokens.insert(a.slot->tokens.end(), chunks[c].tokens.begin(), chunks[c].tokens.end());
    if (!a.decoding()) a.prefilled += chunks[c].tokens.size();
    if (chunks[c].logit_rows == 0) continue;
    const int32_t tok = sampled[row++];
    {
      std::lock_guard lock(a.req->mutex);
      a.req->tokens.push_back(tok);
    }
    a.req->cv.notify_all();
    ++a.generated;
    a.next = tok;
    if (tokenizer_.is_eog(tok))
      leaving.emplace_back(&a, "stop");
    else if (a.generated >= a.req->max_tokens)
      leaving.emplace_back(&a, "length");  // the last token is never fed: no logits needed
  }
  for (auto& [a, reason] : leaving) {
    auto it = std::find_if(active_.begin(), active_.end(), [&](const auto& p) { return p.get() == a; });
    finish(static_cast<size_t>(it - active_.begin()), std::move(reason));
  }
}

void Scheduler::record_step(const StepRecord& r) {
  size_t kv = 0;
  for (const auto& s : slots_) kv += s->seq.kv().bytes();
  std::lock_guard lock(mutex_);
  steps_.push_back(r);
  if (steps_.size() > kStatsWindow) steps_.pop_front();
  // A mixed step's time counts for both figures: they describe throughput
  // while the engine does that kind of work, not a split of its time.
  int dec = 0, pre = 0;
  double dec_s = 0.0, pre_s = 0.0;
  for (const StepRecord& s : steps_) {
    if (s.decode_tokens > 0) {
      dec += s.decode_tokens;
      dec_s += s.seconds;
    }
    if (s.prefill_tokens > 0) {
      pre += s.prefill_tokens;
      pre_s += s.seconds;
    }
  }
  if (dec_s > 0) stats_.recent_decode_tok_s = dec / dec_s;
  if (pre_s > 0) stats_.recent_prefill_tok_s = pre / pre_s;
  stats_.kv_bytes_used = kv;
}

}  // namespace sy::local_engine
