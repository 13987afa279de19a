#include <charconv>

#include "sections.hpp"

namespace sy::config::detail {

ServerOptions parse_server(const Section& root) {
  ServerOptions out;
  if (root.has("listen")) {
    // "host:port", "[v6]:port" or ":port".
    std::string listen = root.get_string("listen");
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) root.fail("listen", "expected host:port, e.g. 127.0.0.1:8080");
    std::string host = listen.substr(0, colon);
    std::string port = listen.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value > 65535) {
      root.fail("listen", "port \"" + port + "\" is not a number in [0, 65535]");
    }
    out.host = host.empty() ? "0.0.0.0" : host;
    out.port = static_cast<uint16_t>(value);
  }
  Section s = root.child("server");
  s.allow_only({"body_limit_bytes", "header_timeout_ms", "read_timeout_ms", "idle_timeout_ms", "shutdown_grace_ms",
                "threads"});
  out.body_limit_bytes = s.get_int("body_limit_bytes", out.body_limit_bytes, 1024, int64_t{1} << 30);
  out.header_timeout = std::chrono::milliseconds(s.get_int("header_timeout_ms", out.header_timeout.count(), 100, 600000));
  out.read_timeout = std::chrono::milliseconds(s.get_int("read_timeout_ms", out.read_timeout.count(), 100, 3600000));
  out.idle_timeout = std::chrono::milliseconds(s.get_int("idle_timeout_ms", out.idle_timeout.count(), 100, 3600000));
  out.shutdown_grace =
      std::chrono::milliseconds(s.get_int("shutdown_grace_ms", out.shutdown_grace.count(), 0, 600000));
  out.threads = static_cast<int>(s.get_int("threads", out.threads, 1, 256));
  return out;
}

}  // namespace sy::config::detail
