#include "backends/cloud_backend.hpp"

#include <chrono>
#include <mutex>

#include "sy/cloud_client/sse_parser.hpp"

namespace sy::gateway {

namespace {

constexpr std::size_t kMaxUpstreamBody = 64u << 20;

AttemptOutcome transport_outcome(const cloud_client::Error& e) {
  AttemptOutcome o;
  o.request_sent = e.request_sent;
  o.code = cloud_client::to_string(e.kind);
  switch (e.kind) {
    case cloud_client::ErrorKind::kConnectTimeout:
    case cloud_client::ErrorKind::kFirstByteTimeout:
    case cloud_client::ErrorKind::kIdleTimeout:
      o.kind = AttemptOutcome::Kind::kTimeout;
      o.status = 504;
      o.message = "cloud upstream timed out (" + std::string(o.code) + ")";
      break;
    case cloud_client::ErrorKind::kCancelled:
      o.kind = AttemptOutcome::Kind::kCancelled;
      o.status = 499;
      o.message = "client closed the request";
      break;
    default:
      o.kind = AttemptOutcome::Kind::kTransport;
      o.status = 502;
      o.message = "cloud upstream unreachable: " + e.message;
      break;
  }
  return o;
}

// Usage and finish_reason from an OpenAI response or chunk, for audit/cost.
void read_usage(const nlohmann::json& j, AttemptOutcome& o) {
  // The upstream is not trusted to send well-typed JSON: read defensively.
  if (!j.is_object()) return;
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    auto pt = u->find("prompt_tokens");
    if (pt != u->end() && pt->is_number_integer()) o.prompt_tokens = pt->get<int>();
    auto ct = u->find("completion_tokens");
    if (ct != u->end() && ct->is_number_integer()) o.completion_tokens = ct->get<int>();
  }
  if (auto c = j.find("choices"); c != j.end() && c->is_array() && !c->empty() && (*c)[0].is_object()) {
    auto fr = (*c)[0].find("finish_reason");
    if (fr != (*c)[0].end() && fr->is_string()) o.finish_reason = fr->get<std::string>();
  }
}

}  // namespace

CloudBackend::CloudBackend(cloud_client::UpstreamOptions options)
    : name_(options.name), options_(options), client_(std::make_unique<cloud_client::Client>(std::move(options))) {}

std::function<void()> CloudBackend::start(const EgressPermit& permit, const BackendCall& call, AttemptSink sink) {
  nlohmann::ordered_json body = *call.body;
  body["model"] = call.model;
  if (call.stream) {
    // Ask for usage so audit and budgets see real token counts; the extra
    // chunk is dropped again if the client did not ask for it.
    body["stream_options"]["include_usage"] = true;
  }
  cloud_client::Request req;
  req.path = "/chat/completions";
  req.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  req.headers = {{"content-type", "application/json"}, {"accept", call.stream ? "text/event-stream" : "application/json"},
                 {"x-request-id", call.request_id}};

  struct State {
    std::mutex mu;
    AttemptSink sink;
    AttemptOutcome outcome;
    int status = 0;
    std::string retry_after;
    std::string body;
    cloud_client::SseParser sse;
    bool stream = false;
    bool include_usage = false;
    bool saw_done = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  };
  auto st = std::make_shared<State>();
  st->sink = std::move(sink);
  st->stream = call.stream;
  st->include_usage = call.include_usage;

  cloud_client::Handlers h;
  h.on_head = [st](const cloud_client::ResponseHead& head) {
    st->status = head.status;
    st->retry_after = head.header("retry-after");
  };
  h.on_body = [st](std::string_view bytes) {
    bool ok_status = st->status >= 200 && st->status < 300;
    if (!st->stream || !ok_status) {
      if (st->body.size() + bytes.size() <= kMaxUpstreamBody) st->body.append(bytes);
      return;
    }
    for (auto& ev : st->sse.feed(bytes)) {
      if (ev.data.empty()) continue;
      if (ev.data == "[DONE]") {
        st->saw_done = true;
        continue;
      }
      if (st->outcome.ttft_ms < 0) {
        st->outcome.ttft_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - st->started).count();
      }
      auto j = nlohmann::json::parse(ev.data, nullptr, false);
      bool usage_only = false;
      if (j.is_object()) {
        read_usage(j, st->outcome);
        auto c = j.find("choices");
        usage_only = c != j.end() && c->is_array() && c->empty() && j.contains("usage");
      }
      if (usage_only && !st->include_usage) continue;
      st->sink.on_event(std::move(ev.data));
    }
  };
  h.on_complete = [st](std::optional<cloud_client::Error> err) {
    AttemptOutcome o = st->outcome;
    if (err) {
      AttemptOutcome t = transport_outcome(*err);
      t.ttft_ms = o.ttft_ms;
      t.prompt_tokens = o.prompt_tokens;
      t.completion_tokens = o.completion_tokens;
      st->sink.on_done(std::move(t));
      return;
    }
    o.request_sent = true;
    if (st->status < 200 || st->status >= 300) {
      o.kind = AttemptOutcome::Kind::kUpstreamStatus;
      o.status = st->status;
      o.retry_after = st->retry_after;
      o.upstream_body = std::move(st->body);
      o.code = "upstream_status_" + std::to_string(st->status);
      o.message = "cloud upstream answered HTTP " + std::to_string(st->status);
      st->sink.on_done(std::move(o));
      return;
    }
    if (st->stream) {
      if (!st->saw_done) {
        // The upstream closed cleanly but never finished the stream.
        o.kind = AttemptOutcome::Kind::kTransport;
        o.status = 502;
        o.code = "upstream_truncated";
        o.message = "cloud upstream ended the stream without [DONE]";
        st->sink.on_done(std::move(o));
        return;
      }
    } else {
      auto j = nlohmann::json::parse(st->body, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        o.kind = AttemptOutcome::Kind::kTransport;
        o.status = 502;
        o.code = "upstream_bad_json";
        o.message = "cloud upstream returned a body that is not JSON";
        st->sink.on_done(std::move(o));
        return;
      }
      read_usage(j, o);
      o.ttft_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - st->started).count();
      st->sink.on_body(std::move(st->body));
    }
    o.kind = AttemptOutcome::Kind::kSuccess;
    o.status = 200;
    st->sink.on_done(std::move(o));
  };
  auto handle = client_->send(std::move(req), std::move(h));
  return [handle] { handle->cancel(); };
}

}  // namespace sy::gateway
