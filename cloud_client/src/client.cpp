// One I/O thread per upstream; every call is a coroutine on it, so the pool,
// the calls and their cancellation need no locks.
#include "sy/cloud_client/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <limits>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

#include "url.hpp"

namespace sy::cloud_client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kMaxIdleAge = std::chrono::seconds(30);

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect: return "connect_error";
    case ErrorKind::kTls: return "tls_error";
    case ErrorKind::kConnectTimeout: return "connect_timeout";
    case ErrorKind::kFirstByteTimeout: return "first_byte_timeout";
    case ErrorKind::kIdleTimeout: return "idle_timeout";
    case ErrorKind::kReset: return "reset";
    case ErrorKind::kProtocol: return "protocol_error";
    case ErrorKind::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string ResponseHead::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

namespace {

struct Connection {
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  std::unique_ptr<beast::tcp_stream> plain;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }
};

struct CallState : Call, std::enable_shared_from_this<CallState> {
  net::io_context* ioc = nullptr;
  Handlers handlers;
  Request request;
  bool done = false;
  bool cancelled = false;
  bool request_sent = false;
  bool response_started = false;
  std::function<void()> abort;  // closes whatever socket the call is using now

  void cancel() override {
    net::post(*ioc, [self = shared_from_this()] {
      if (self->done) return;
      self->cancelled = true;
      if (self->abort) self->abort();
    });
  }

  void finish(std::optional<Error> err) {
    if (done) return;
    done = true;
    abort = nullptr;
    if (err) {
      if (cancelled) err->kind = ErrorKind::kCancelled;
      err->request_sent = request_sent;
      err->response_started = response_started;
    } else if (cancelled) {
      err = Error{ErrorKind::kCancelled, "cancelled", request_sent, response_started};
    }
    if (handlers.on_complete) handlers.on_complete(std::move(err));
  }
};

struct Exchange {
  std::optional<Error> error;
  bool keep_alive = false;
  bool retry_on_fresh = false;  // a reused connection died before any response byte
};

}  // namespace

class Client::Impl {
 public:
  explicit Impl(UpstreamOptions options) : options_(std::move(options)), ssl_ctx_(ssl::context::tls_client) {
    if (auto url = detail::parse_url(options_.base_url)) url_ = *url;
    ssl_ctx_.set_verify_mode(ssl::verify_peer);
    SSL_CTX_set_min_proto_version(ssl_ctx_.native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (!options_.ca_file.empty()) {
      ssl_ctx_.load_verify_file(options_.ca_file, ec);
    } else {
      ssl_ctx_.set_default_verify_paths(ec);
    }
    ca_error_ = ec ? ec.message() : "";
    thread_ = std::thread([this] { ioc_.run(); });
  }

  ~Impl() {
    work_.reset();
    net::post(ioc_, [this] {
      for (auto& c : idle_) c->close();
      idle_.clear();
    });
    ioc_.stop();
    thread_.join();
  }

  std::shared_ptr<Call> send(Request request, Handlers handlers) {
    auto st = std::make_shared<CallState>();
    st->ioc = &ioc_;
    st->handlers = std::move(handlers);
    st->request = std::move(request);
    net::co_spawn(ioc_, run(st), net::detached);
    return st;
  }

  const UpstreamOptions& options() const { return options_; }

 private:
  net::awaitable<void> run(std::shared_ptr<CallState> st) {
    if (url_.host.empty()) {
      st->finish(Error{ErrorKind::kConnect, "invalid base_url: " + options_.base_url});
      co_return;
    }
    if (!url_.tls && !options_.allow_insecure_http) {
      st->finish(Error{ErrorKind::kTls, "plain http upstream not allowed"});
      co_return;
    }
    if (url_.tls && !ca_error_.empty()) {
      st->finish(Error{ErrorKind::kTls, "cannot load CA file " + options_.ca_file + ": " + ca_error_});
      co_return;
    }
    auto req = build_request(st->request);
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<Connection> conn = take_idle();
      bool reused = conn != nullptr;
      if (!conn) {
        std::optional<Error> err;
        co_await connect(st, err, conn);
        if (!conn) {
          st->finish(std::move(err));
          co_return;
        }
      }
      Connection* raw = conn.get();
      st->abort = [raw] { raw->close(); };
      // (co_await inside ?: is miscompiled by GCC 12: keep it in plain statements.)
      Exchange ex;
      if (conn->tls) {
        co_await exchange(*conn->tls, *conn, req, st, ex);
      } else {
        co_await exchange(*conn->plain, *conn, req, st, ex);
      }
      st->abort = nullptr;
      if (ex.retry_on_fresh && reused && !st->cancelled) continue;
      if (!ex.error && ex.keep_alive && !st->cancelled) {
        put_idle(std::move(conn));
      } else {
        conn->close();
      }
      st->finish(std::move(ex.error));
      co_return;
    }
  }

  http::request<http::string_body> build_request(const Request& r) const {
    http::request<http::string_body> req;
    req.method_string(r.method);
    req.target(url_.path_prefix + r.path);
    req.version(11);
    bool default_port = (url_.tls && url_.port == "443") || (!url_.tls && url_.port == "80");
    req.set(http::field::host, default_port ? url_.host : url_.host + ":" + url_.port);
    req.set(http::field::user_agent, "switchyard/" SY_VERSION);
    for (const auto& [k, v] : r.headers) req.set(k, v);
    if (!options_.api_key.empty()) req.set(http::field::authorization, "Bearer " + options_.api_key);
    req.keep_alive(true);
    req.body() = r.body;
    req.prepare_payload();
    return req;
  }

  // Leaves `out` null and sets `err` on failure.
  net::awaitable<void> connect(std::shared_ptr<CallState> st, std::optional<Error>& err,
                               std::unique_ptr<Connection>& out) {
    auto ex = co_await net::this_coro::executor;
    error_code ec;
    tcp::resolver resolver(ex);
    st->abort = [&resolver] { resolver.cancel(); };
    auto endpoints = co_await resolver.async_resolve(url_.host, url_.port, net::redirect_error(net::use_awaitable, ec));
    if (ec || st->cancelled) {
      err = Error{ErrorKind::kConnect, "resolve " + url_.host + ": " + ec.message()};
      co_return;
    }
    auto stream = std::make_unique<beast::tcp_stream>(ex);
    st->abort = [s = stream.get()] { s->close(); };
    stream->expires_after(options_.connect_timeout);
    co_await stream->async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec || st->cancelled) {
      err = Error{ec == beast::error::timeout ? ErrorKind::kConnectTimeout : ErrorKind::kConnect,
                  "connect " + url_.host + ":" + url_.port + ": " + ec.message()};
      co_return;
    }
    stream->socket().set_option(tcp::no_delay(true), ec);
    auto conn = std::make_unique<Connection>();
    if (!url_.tls) {
      conn->plain = std::move(stream);
      out = std::move(conn);
      co_return;
    }
    conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*stream), ssl_ctx_);
    st->abort = [c = conn.get()] { c->close(); };
    SSL* ssl_handle = conn->tls->native_handle();
    error_code addr_ec;
    net::ip::make_address(url_.host, addr_ec);
    if (addr_ec) {  // a DNS name: SNI + hostname check
      SSL_set_tlsext_host_name(ssl_handle, url_.host.c_str());
      SSL_set1_host(ssl_handle, url_.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), url_.host.c_str());
    }
    conn->lowest().expires_after(options_.connect_timeout);
    co_await conn->tls->async_handshake(ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
    if (ec || st->cancelled) {
      std::string why = ec.message();
      long verify = SSL_get_verify_result(ssl_handle);
      if (verify != X509_V_OK) why = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
      err = Error{ec == beast::error::timeout ? ErrorKind::kConnectTimeout : ErrorKind::kTls,
                  "TLS handshake with " + url_.host + ": " + why};
      co_return;
    }
    out = std::move(conn);
  }

  template <class Stream>
  net::awaitable<void> exchange(Stream& stream, Connection& conn, http::request<http::string_body>& req,
                                std::shared_ptr<CallState> st, Exchange& out) {
    error_code ec;
    conn.lowest().expires_after(options_.first_byte_timeout);
    st->request_sent = true;
    co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      out.retry_on_fresh = ec != beast::error::timeout;
      out.error = Error{ec == beast::error::timeout ? ErrorKind::kFirstByteTimeout : ErrorKind::kReset,
                        "write request: " + ec.message()};
      co_return;
    }
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    conn.lowest().expires_after(options_.first_byte_timeout);
    co_await http::async_read_header(stream, conn.buffer, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      bool timeout = ec == beast::error::timeout;
      out.retry_on_fresh = !timeout && (ec == http::error::end_of_stream || ec == net::error::eof ||
                                        ec == net::error::connection_reset);
      bool malformed = ec.category() == error_code(http::error::bad_version).category() &&
                       ec != http::error::end_of_stream;
      out.error = Error{timeout ? ErrorKind::kFirstByteTimeout : (malformed ? ErrorKind::kProtocol : ErrorKind::kReset),
                        "read response headers: " + ec.message()};
      co_return;
    }
    st->response_started = true;
    ResponseHead head;
    head.status = static_cast<int>(parser.get().result_int());
    for (const auto& f : parser.get()) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      head.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (st->handlers.on_head) st->handlers.on_head(head);
    char buf[kReadChunk];
    while (!parser.is_done()) {
      if (st->cancelled) {
        out.error = Error{ErrorKind::kCancelled, "cancelled"};
        co_return;
      }
      parser.get().body().data = buf;
      parser.get().body().size = sizeof buf;
      conn.lowest().expires_after(options_.idle_timeout);
      co_await http::async_read_some(stream, conn.buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      std::size_t n = sizeof buf - parser.get().body().size;
      if (n && st->handlers.on_body && !st->cancelled) st->handlers.on_body(std::string_view(buf, n));
      if (ec) {
        out.error = Error{ec == beast::error::timeout ? ErrorKind::kIdleTimeout : ErrorKind::kReset,
                          "read response body: " + ec.message()};
        co_return;
      }
    }
    out.keep_alive = parser.get().keep_alive();
    co_return;
  }

  std::unique_ptr<Connection> take_idle() {
    auto now = std::chrono::steady_clock::now();
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (now - c->idle_since < kMaxIdleAge) return c;
      c->close();
    }
    return nullptr;
  }

  void put_idle(std::unique_ptr<Connection> c) {
    if (idle_.size() >= options_.max_idle_connections) {
      c->close();
      return;
    }
    c->idle_since = std::chrono::steady_clock::now();
    c->buffer.consume(c->buffer.size());
    idle_.push_back(std::move(c));
  }

  UpstreamOptions options_;
  detail::Url url_;
  ssl::context ssl_ctx_;
  std::string ca_error_;
  net::io_context ioc_{1};
  net::executor_work_guard<net::io_context::executor_type> work_{ioc_.get_executor()};
  std::vector<std::unique_ptr<Connection>> idle_;
  std::thread thread_;
};

Client::Client(UpstreamOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
std::shared_ptr<Call> Client::send(Request request, Handlers handlers) {
  return impl_->send(std::move(request), std::move(handlers));
}
const UpstreamOptions& Client::options() const { return impl_->options(); }

}  // namespace sy::cloud_client
