#pragma once
// Incremental text/event-stream parser: bytes in, complete events out.
#include <string>
#include <string_view>
#include <vector>

namespace sy::cloud_client {

struct SseEvent {
  std::string event;  // "event:" field, empty for the default
  std::string data;   // "data:" lines joined with '\n'
};

class SseParser {
 public:
  // Appends bytes; returns the events they completed.
  std::vector<SseEvent> feed(std::string_view bytes);
  // Bytes of an event not yet terminated by a blank line.
  std::size_t pending_bytes() const { return buffer_.size(); }

 private:
  void take_line(std::string_view line, std::vector<SseEvent>& out);
  std::string buffer_;
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace sy::cloud_client
