#include "http_client.hpp"

#include <algorithm>
#include <limits>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sy::test {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

http::request<http::string_body> make_request(const std::string& method, const std::string& target,
                                              const std::string& body, const HeaderList& headers) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  if (!body.empty() || method == "POST") req.prepare_payload();
  return req;
}

template <class Parser>
void copy_head(const Parser& parser, HttpResult& r) {
  r.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get()) {
    std::string name(f.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    r.headers[name] = std::string(f.value());
  }
}

}  // namespace

HttpResult http_call(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                     HeaderList headers, std::chrono::milliseconds timeout) {
  HttpResult r;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return r.error = "connect: " + ec.message(), r;
  auto req = make_request(method, target, body, headers);
  http::write(stream, req, ec);
  if (ec) return r.error = "write: " + ec.message(), r;
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256u << 20);
  http::read(stream, buf, parser, ec);
  if (ec) return r.error = "read: " + ec.message(), r;
  copy_head(parser, r);
  r.body = parser.get().body();
  return r;
}

HttpResult http_stream(uint16_t port, const std::string& target, const std::string& body,
                       const std::function<bool(std::string_view)>& on_chunk, HeaderList headers,
                       std::chrono::milliseconds timeout) {
  HttpResult r;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return r.error = "connect: " + ec.message(), r;
  auto req = make_request("POST", target, body, headers);
  http::write(stream, req, ec);
  if (ec) return r.error = "write: " + ec.message(), r;
  beast::flat_buffer buf;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  http::read_header(stream, buf, parser, ec);
  if (ec) return r.error = "read header: " + ec.message(), r;
  copy_head(parser, r);
  char tmp[4096];
  while (!parser.is_done()) {
    parser.get().body().data = tmp;
    parser.get().body().size = sizeof tmp;
    http::read_some(stream, buf, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    std::size_t n = sizeof tmp - parser.get().body().size;
    if (n) {
      r.body.append(tmp, n);
      if (on_chunk && !on_chunk(std::string_view(tmp, n))) {
        stream.socket().close(ec);
        r.error = "closed by test";
        return r;
      }
    }
    if (ec) return r.error = "read body: " + ec.message(), r;
  }
  return r;
}

std::string raw_exchange(uint16_t port, const std::string& bytes, std::chrono::milliseconds timeout) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return "";
  net::write(stream, net::buffer(bytes), ec);
  std::string out;
  char tmp[4096];
  while (true) {
    std::size_t n = stream.read_some(net::buffer(tmp), ec);
    out.append(tmp, n);
    if (ec) break;
  }
  return out;
}

std::vector<std::string> sse_data(const std::string& body) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    auto start = body.find("data: ", pos);
    if (start == std::string::npos) break;
    auto end = body.find("\n\n", start);
    if (end == std::string::npos) break;
    out.push_back(body.substr(start + 6, end - start - 6));
    pos = end + 2;
  }
  return out;
}

}  // namespace sy::test
