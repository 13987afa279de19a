#include "http/server.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

namespace sy::gateway::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kWriteTimeoutMs = 30000;

std::string Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

class Server::Impl {
 public:
  Impl(const config::ServerOptions& options, Handler handler, ErrorResponder error_body)
      : options_(options), handler_(std::move(handler)), error_body_(std::move(error_body)),
        ioc_(options.threads), acceptor_(net::make_strand(ioc_)) {}

  uint16_t start() {
    auto address = net::ip::make_address(options_.host);
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(net::socket_base::max_listen_connections);
    net::co_spawn(acceptor_.get_executor(), accept_loop(), net::detached);
    return acceptor_.local_endpoint().port();
  }

  void run() {
    std::vector<std::thread> threads;
    for (int i = 1; i < options_.threads; ++i) threads.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& t : threads) t.join();
  }

  void drain_and_stop() {
    draining_ = true;
    net::post(acceptor_.get_executor(), [this] {
      error_code ec;
      acceptor_.close(ec);
    });
    auto deadline = std::chrono::steady_clock::now() + options_.shutdown_grace;
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ioc_.stop();
  }

  std::atomic<bool> draining_{false};
  std::atomic<int> in_flight_{0};

 private:
  net::awaitable<void> accept_loop() {
    while (!draining_) {
      error_code ec;
      tcp::socket socket(net::make_strand(ioc_));
      co_await acceptor_.async_accept(socket, net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (!acceptor_.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      auto ex = socket.get_executor();
      net::co_spawn(ex, session(beast::tcp_stream(std::move(socket))), net::detached);
    }
  }

  net::awaitable<void> send_simple(beast::tcp_stream& stream, int status, const std::string& message,
                                   const std::string& code) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::server, "switchyard");
    res.body() = error_body_(status, message, code);
    res.keep_alive(false);
    res.prepare_payload();
    error_code ec;
    stream.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
    co_await bhttp::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
  }

  // Lingering close after an early error response (e.g. 413 before the body
  // was read): closing with unread input makes the kernel send an RST that
  // can destroy the response before the client reads it, so stop sending and
  // discard input for a bounded time first (as nginx's lingering_close does).
  net::awaitable<void> linger(beast::tcp_stream& stream) {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    char sink[16384];
    std::size_t total = 0;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!ec && total < (64u << 20) && std::chrono::steady_clock::now() < until) {
      stream.expires_at(until);
      total += co_await stream.async_read_some(net::buffer(sink), net::redirect_error(net::use_awaitable, ec));
    }
  }

  net::awaitable<void> session(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    bool first = true;
    std::string remote;
    {
      error_code ec;
      auto ep = stream.socket().remote_endpoint(ec);
      if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    while (!draining_) {
      error_code ec;
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(options_.body_limit_bytes);
      stream.expires_after(first ? options_.header_timeout : options_.idle_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec == bhttp::error::body_limit) {
        co_await send_simple(stream, 413, "request body exceeds the limit of " + std::to_string(options_.body_limit_bytes) + " bytes",
                             "request_too_large");
        co_await linger(stream);
        break;
      }
      if (ec) {
        if (ec != bhttp::error::end_of_stream && ec != beast::error::timeout && ec != net::error::eof &&
            ec != net::error::connection_reset && ec != net::error::operation_aborted) {
          co_await send_simple(stream, 400, "malformed HTTP request: " + ec.message(), "bad_request");
        }
        break;
      }
      first = false;
      auto& hdr = parser.get();
      if (auto len = parser.content_length(); len && *len > options_.body_limit_bytes) {
        co_await send_simple(stream, 413,
                             "request body of " + std::to_string(*len) + " bytes exceeds the limit of " +
                                 std::to_string(options_.body_limit_bytes) + " bytes",
                             "request_too_large");
        co_await linger(stream);
        break;
      }
      if (beast::iequals(hdr[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        stream.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
        co_await bhttp::async_write(stream, cont, net::redirect_error(net::use_awaitable, ec));
        if (ec) break;
      }
      stream.expires_after(options_.read_timeout);
      co_await bhttp::async_read(stream, buffer, parser, net::redirect_error(net::use_awaitable, ec));
      if (ec) {
        if (ec == bhttp::error::body_limit) {
          co_await send_simple(stream, 413, "request body exceeds the limit", "request_too_large");
          co_await linger(stream);
        } else if (ec != beast::error::timeout && ec != net::error::eof && ec != bhttp::error::end_of_stream) {
          co_await send_simple(stream, 400, "malformed HTTP request: " + ec.message(), "bad_request");
        }
        break;
      }
      stream.expires_never();
      auto msg = parser.release();
      bool keep_alive = msg.keep_alive();
      Request req;
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      req.remote = remote;
      for (const auto& f : msg) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        req.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      req.body = std::move(msg.body());
      bool ok = co_await respond(stream, buffer, std::move(req), keep_alive);
      if (!ok || !keep_alive) break;
    }
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.close();
  }

  // Runs the handler and writes what it produces; watches the socket for the
  // client hanging up meanwhile. Returns false when the connection must close.
  net::awaitable<bool> respond(beast::tcp_stream& stream, beast::flat_buffer& buffer, Request req, bool keep_alive) {
    auto ex = co_await net::this_coro::executor;
    auto channel = std::make_shared<ResponseChannel>();
    auto timer = std::make_shared<net::steady_timer>(ex, std::chrono::steady_clock::time_point::max());
    channel->set_waker([timer, ex] { net::post(ex, [timer] { timer->cancel(); }); });
    in_flight_++;
    struct Done {
      std::atomic<int>& n;
      ~Done() { n--; }
    } done{in_flight_};

    // Watch for EOF/reset from the client while the handler works.
    auto watch = std::make_shared<bool>(true);
    auto watcher_done = std::make_shared<bool>(false);
    net::co_spawn(
        ex,
        [&stream, &buffer, channel, timer, watch, watcher_done]() -> net::awaitable<void> {
          while (*watch) {
            error_code ec;
            auto space = buffer.prepare(4096);
            std::size_t n = co_await stream.socket().async_read_some(space, net::redirect_error(net::use_awaitable, ec));
            buffer.commit(n);
            if (ec) {
              if (ec != net::error::operation_aborted) channel->mark_client_gone();
              break;
            }
          }
          *watcher_done = true;
          timer->cancel();
        },
        net::detached);

    try {
      handler_(std::move(req), channel);
    } catch (const std::exception& e) {
      // A bug in a handler must cost one request, not the process.
      channel->respond(500, {{"content-type", "application/json"}},
                       error_body_(500, std::string("internal error: ") + e.what(), "internal_error"));
    }

    bool ok = true;
    bool finished = false;
    bool streaming = false;
    while (!finished) {
      auto items = channel->take();
      if (items.empty()) {
        if (channel->client_gone()) {
          ok = false;
          break;
        }
        error_code ec;
        co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
        timer->expires_at(std::chrono::steady_clock::time_point::max());
        continue;
      }
      for (auto& item : items) {
        error_code ec;
        stream.expires_after(std::chrono::milliseconds(kWriteTimeoutMs));
        switch (item.kind) {
          case ResponseChannel::Item::Kind::kFull: {
            bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(item.status), 11};
            res.set(bhttp::field::server, "switchyard");
            for (auto& [k, v] : item.headers) res.set(k, v);
            res.body() = std::move(item.data);
            res.keep_alive(keep_alive && !draining_);
            res.prepare_payload();
            co_await bhttp::async_write(stream, res, net::redirect_error(net::use_awaitable, ec));
            finished = true;
            break;
          }
          case ResponseChannel::Item::Kind::kStreamHead: {
            bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(item.status), 11};
            res.set(bhttp::field::server, "switchyard");
            res.set(bhttp::field::content_type, "text/event-stream");
            res.set(bhttp::field::cache_control, "no-cache");
            res.set("x-accel-buffering", "no");
            for (auto& [k, v] : item.headers) res.set(k, v);
            res.keep_alive(keep_alive && !draining_);
            res.chunked(true);
            bhttp::response_serializer<bhttp::empty_body> sr{res};
            co_await bhttp::async_write_header(stream, sr, net::redirect_error(net::use_awaitable, ec));
            streaming = true;
            break;
          }
          case ResponseChannel::Item::Kind::kChunk:
            if (streaming) {
              co_await net::async_write(stream, bhttp::make_chunk(net::buffer(item.data)),
                                        net::redirect_error(net::use_awaitable, ec));
            }
            break;
          case ResponseChannel::Item::Kind::kEnd:
            if (streaming) {
              co_await net::async_write(stream, bhttp::make_chunk_last(), net::redirect_error(net::use_awaitable, ec));
            }
            finished = true;
            break;
        }
        stream.expires_never();
        if (ec) {
          channel->mark_client_gone();
          ok = false;
          finished = true;
          break;
        }
        if (finished) break;
      }
    }
    // Stop the watcher without closing the connection; keep any bytes it read.
    *watch = false;
    if (!*watcher_done) {
      error_code ec;
      stream.socket().cancel(ec);
      while (!*watcher_done) {
        timer->expires_after(std::chrono::milliseconds(1));
        co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
      }
    }
    if (channel->client_gone()) ok = false;
    co_return ok && !draining_;
  }

  config::ServerOptions options_;
  Handler handler_;
  ErrorResponder error_body_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
};

Server::Server(const config::ServerOptions& options, Handler handler, ErrorResponder error_body)
    : impl_(std::make_unique<Impl>(options, std::move(handler), std::move(error_body))) {}
Server::~Server() = default;
uint16_t Server::start() { return impl_->start(); }
void Server::run() { impl_->run(); }
void Server::drain_and_stop() { impl_->drain_and_stop(); }
bool Server::draining() const { return impl_->draining_; }
int Server::in_flight() const { return impl_->in_flight_; }

}  // namespace sy::gateway::http
