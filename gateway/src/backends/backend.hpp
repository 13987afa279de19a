#pragma once
// One interface over the two kinds of target, so the pipeline's failover loop
// does not care whether an attempt runs on the local engine or the cloud.
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/egress_permit.hpp"
#include "sy/router/chat_request.hpp"

namespace sy::gateway {

// How an attempt ended, in the terms breakers, failover and audit need.
struct AttemptOutcome {
  enum class Kind {
    kSuccess,
    kUpstreamStatus,  // the target answered with a non-2xx status
    kTransport,       // connect / TLS / reset / protocol
    kTimeout,         // connect, first byte or stall
    kOverloaded,      // local queue full
    kCancelled,       // the client went away
    kInternal,
  };
  Kind kind = Kind::kInternal;
  int status = 0;            // HTTP status to report (upstream's, or the mapped one)
  std::string message;       // safe to show the client (never prompt text)
  std::string code;          // e.g. "upstream_timeout", "connect_error"
  std::string retry_after;   // seconds, when the target said so
  std::string upstream_body; // non-2xx body, relayed for client errors
  bool request_sent = false; // any prompt byte left the machine on this attempt
  int prompt_tokens = 0;
  int completion_tokens = 0;
  int cached_prompt_tokens = 0;
  std::string finish_reason;
  double ttft_ms = -1;       // time to first token/event, -1 if none
};

struct BackendCall {
  const router::ChatRequest* request = nullptr;
  const nlohmann::ordered_json* body = nullptr;  // the client's JSON, forwarded to OpenAI-compatible targets
  std::string model;                     // model name to use on this target
  bool stream = false;
  bool include_usage = false;            // stream_options.include_usage
  std::string request_id;
  std::string completion_id;             // "chatcmpl-..." for locally produced responses
};

struct AttemptSink {
  // Streaming: the JSON payload of one SSE `data:` event, in order. The first
  // call is the streaming commit point.
  std::function<void(std::string data)> on_event;
  // Non-streaming success: the complete response body.
  std::function<void(std::string body)> on_body;
  // Exactly once, after every on_event / on_body.
  std::function<void(AttemptOutcome)> on_done;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const std::string& name() const = 0;
  // Starts an attempt; the returned function cancels it (idempotent, any thread).
  // The permit proves the router allowed this target for this request.
  virtual std::function<void()> start(const EgressPermit& permit, const BackendCall& call, AttemptSink sink) = 0;
  // Model names this target serves (for /v1/models).
  virtual std::vector<std::string> models() const = 0;
};

}  // namespace sy::gateway
