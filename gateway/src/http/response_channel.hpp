#pragma once
// The hand-off between a request handler (any thread) and the connection that
// writes its response (the session's strand). Thread-safe.
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace sy::gateway::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

class ResponseChannel {
 public:
  struct Item {
    enum class Kind { kFull, kStreamHead, kChunk, kEnd };
    Kind kind;
    int status = 0;
    Headers headers;
    std::string data;
  };

  // Handler side.
  void respond(int status, Headers headers, std::string body);  // a complete JSON response
  void start_stream(int status, Headers headers);                // text/event-stream
  void write(std::string data);                                  // one chunk of the stream
  void finish();                                                 // ends the stream
  bool client_gone() const;
  // Runs once when the client disconnects (immediately if it already has).
  void on_client_gone(std::function<void()> callback);
  bool started() const;  // a head (or full response) was produced: the commit point

  // Session side.
  std::vector<Item> take();
  void set_waker(std::function<void()> waker);
  void mark_client_gone();

 private:
  void push(Item item);
  mutable std::mutex mu_;
  std::vector<Item> queue_;
  std::function<void()> waker_;
  std::function<void()> gone_callback_;
  bool gone_ = false;
  bool started_ = false;
  bool ended_ = false;
};

}  // namespace sy::gateway::http
