#pragma once
// A scriptable loopback stand-in for a remote OpenAI-compatible API. It
// records every request byte it receives (after TLS decryption) so tests can
// prove what did — and did not — leave the gateway.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sy::test {

struct FakeReply {
  enum class Kind { kJson, kStream, kReset } kind = Kind::kJson;
  int status = 200;
  std::string body;  // kJson: whole body (default: a chat.completion)
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> chunks;  // kStream: SSE data payloads
  std::chrono::milliseconds first_byte_delay{0};
  std::chrono::milliseconds chunk_delay{0};
  int stall_after_chunks = -1;  // hold the connection silently after this many chunks
  int reset_after_chunks = -1;  // send a TCP RST after this many chunks
  bool send_done = true;        // finish a stream with data: [DONE]

  static FakeReply json_ok(const std::string& content = "hello from the fake cloud");
  static FakeReply stream_ok(int n_chunks, std::chrono::milliseconds delay = std::chrono::milliseconds(0));
  static FakeReply status_reply(int status, const std::string& body = "{\"error\":{\"message\":\"fake\"}}");
};

class FakeCloud {
 public:
  enum class Tls { kNone, kTrusted, kWrongHost, kUntrusted };
  explicit FakeCloud(Tls tls = Tls::kTrusted);
  ~FakeCloud();

  uint16_t port() const { return port_; }
  std::string base_url() const;

  void set_default(FakeReply reply);
  void push(FakeReply reply);  // consumed in order before the default
  // Decides the reply from the request body (overrides push/default when set).
  void set_script(std::function<FakeReply(const std::string& request_body)> script);

  std::string received() const;  // every request byte, all connections
  int requests() const;
  int connections() const;
  int peer_closes() const;  // connections the client closed while a reply was in progress
  bool wait_for_peer_close(std::chrono::milliseconds timeout) const;
  bool wait_for_requests(int n, std::chrono::milliseconds timeout) const;
  // Lets a stream that is sending with chunk_delay emit its next chunk now.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
  Tls tls_;
};

}  // namespace sy::test
