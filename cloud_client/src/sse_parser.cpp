#include "sy/cloud_client/sse_parser.hpp"

namespace sy::cloud_client {

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  std::vector<SseEvent> out;
  buffer_.append(bytes);
  std::size_t start = 0;
  while (true) {
    std::size_t nl = buffer_.find_first_of("\r\n", start);
    if (nl == std::string::npos) break;
    // A lone '\r' at the end may be the first half of "\r\n": wait for more.
    if (buffer_[nl] == '\r' && nl + 1 == buffer_.size()) break;
    std::string_view line(buffer_.data() + start, nl - start);
    take_line(line, out);
    start = nl + 1;
    if (buffer_[nl] == '\r' && buffer_[nl + 1] == '\n') ++start;
  }
  buffer_.erase(0, start);
  return out;
}

void SseParser::take_line(std::string_view line, std::vector<SseEvent>& out) {
  if (line.empty()) {  // dispatch
    if (has_data_ || !current_.event.empty()) out.push_back(std::move(current_));
    current_ = SseEvent{};
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;  // comment / keep-alive
  std::string_view field = line, value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) current_.data.push_back('\n');
    current_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    current_.event.assign(value);
  }
}

}  // namespace sy::cloud_client
