#include "http/response_channel.hpp"

namespace sy::gateway::http {

void ResponseChannel::push(Item item) {
  std::function<void()> waker;
  {
    std::lock_guard lock(mu_);
    if (ended_) return;
    if (item.kind == Item::Kind::kFull || item.kind == Item::Kind::kEnd) ended_ = true;
    if (item.kind == Item::Kind::kFull || item.kind == Item::Kind::kStreamHead) started_ = true;
    queue_.push_back(std::move(item));
    waker = waker_;
  }
  if (waker) waker();
}

void ResponseChannel::respond(int status, Headers headers, std::string body) {
  push(Item{Item::Kind::kFull, status, std::move(headers), std::move(body)});
}

void ResponseChannel::start_stream(int status, Headers headers) {
  push(Item{Item::Kind::kStreamHead, status, std::move(headers), {}});
}

void ResponseChannel::write(std::string data) {
  if (data.empty()) return;
  push(Item{Item::Kind::kChunk, 0, {}, std::move(data)});
}

void ResponseChannel::finish() { push(Item{Item::Kind::kEnd, 0, {}, {}}); }

bool ResponseChannel::client_gone() const {
  std::lock_guard lock(mu_);
  return gone_;
}

bool ResponseChannel::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

void ResponseChannel::on_client_gone(std::function<void()> callback) {
  bool now;
  {
    std::lock_guard lock(mu_);
    now = gone_;
    if (!now) gone_callback_ = std::move(callback);
  }
  if (now && callback) callback();
}

std::vector<ResponseChannel::Item> ResponseChannel::take() {
  std::lock_guard lock(mu_);
  return std::exchange(queue_, {});
}

void ResponseChannel::set_waker(std::function<void()> waker) {
  std::lock_guard lock(mu_);
  waker_ = std::move(waker);
}

void ResponseChannel::mark_client_gone() {
  std::function<void()> cb;
  {
    std::lock_guard lock(mu_);
    if (gone_) return;
    gone_ = true;
    waker_ = nullptr;
    cb = std::move(gone_callback_);
  }
  if (cb) cb();
}

}  // namespace sy::gateway::http
