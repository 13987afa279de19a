#pragma once
// HTTP/1.1 server: keep-alive, one strand per connection, body limit and
// header/read/idle timeouts, graceful drain. Handlers answer through a
// ResponseChannel, from any thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "http/response_channel.hpp"
#include "sy/config/config.hpp"

namespace sy::gateway::http {

struct Request {
  std::string method;
  std::string target;  // path + query
  Headers headers;     // names lower-cased
  std::string body;
  std::string remote;  // peer address
  std::string header(std::string_view name) const;
};

using Handler = std::function<void(Request, std::shared_ptr<ResponseChannel>)>;
// Produces the complete error response for requests that never reach the handler
// (413, 400 malformed HTTP, ...): status + OpenAI-shaped JSON body.
using ErrorResponder = std::function<std::string(int status, const std::string& message, const std::string& code)>;

class Server {
 public:
  Server(const config::ServerOptions& options, Handler handler, ErrorResponder error_body);
  ~Server();

  // Binds and starts accepting; returns the bound port (useful with port 0).
  uint16_t start();
  // Runs the I/O threads until stop; blocks.
  void run();
  // Stops accepting; keep-alive connections close after their current
  // response; returns when in-flight requests are done or `grace` passed.
  void drain_and_stop();
  bool draining() const;
  int in_flight() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::gateway::http
