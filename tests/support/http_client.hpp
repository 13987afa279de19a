#pragma once
// Blocking HTTP/1.1 client for tests (plain TCP on loopback).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sy::test {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::string error;  // transport error, empty on success
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

HttpResult http_call(uint16_t port, const std::string& method, const std::string& target, const std::string& body = "",
                     HeaderList headers = {{"content-type", "application/json"}},
                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Streams the response body: `on_chunk` sees bytes as they arrive; returning
// false closes the connection at once (a client hanging up mid-stream).
HttpResult http_stream(uint16_t port, const std::string& target, const std::string& body,
                       const std::function<bool(std::string_view)>& on_chunk,
                       HeaderList headers = {{"content-type", "application/json"}},
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Sends raw bytes, returns everything read until the server closes or the timeout.
std::string raw_exchange(uint16_t port, const std::string& bytes,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The `data:` payloads of an SSE body, in order.
std::vector<std::string> sse_data(const std::string& body);

}  // namespace sy::test
