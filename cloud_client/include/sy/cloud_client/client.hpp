#pragma once
// Async HTTP(S) client for one OpenAI-compatible upstream. It owns its I/O
// thread; handlers run on that thread, so callers hand work back to their own
// executors. No Beast types leak through this header.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sy/cloud_client/options.hpp"

namespace sy::cloud_client {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method = "POST";
  std::string path;  // appended to the base URL's path, e.g. "/chat/completions"
  std::string body;
  Headers headers;   // extra headers; Host, Authorization, Content-Length are set by the client
};

struct ResponseHead {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string header(std::string_view name) const;
};

enum class ErrorKind {
  kConnect,           // DNS, refused, unreachable
  kTls,               // handshake / certificate / hostname verification
  kConnectTimeout,
  kFirstByteTimeout,  // no response headers in time
  kIdleTimeout,       // body stalled
  kReset,             // connection broke mid-response
  kProtocol,          // malformed HTTP from the upstream
  kCancelled,         // the caller cancelled
};

struct Error {
  ErrorKind kind;
  std::string message;
  bool request_sent = false;   // any request byte left this process
  bool response_started = false;  // response headers were received
};

const char* to_string(ErrorKind kind);

struct Handlers {
  std::function<void(const ResponseHead&)> on_head;
  std::function<void(std::string_view)> on_body;  // body bytes as they arrive (de-chunked)
  std::function<void(std::optional<Error>)> on_complete;  // exactly once
};

class Call {
 public:
  virtual ~Call() = default;
  // Closes the upstream connection; on_complete(kCancelled) follows unless
  // the call already completed.
  virtual void cancel() = 0;
};

class Client {
 public:
  explicit Client(UpstreamOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  std::shared_ptr<Call> send(Request request, Handlers handlers);
  const UpstreamOptions& options() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::cloud_client
