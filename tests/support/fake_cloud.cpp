#include "fake_cloud.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "test_pki.hpp"

namespace sy::test {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

FakeReply FakeReply::json_ok(const std::string& content) {
  FakeReply r;
  nlohmann::json body = {
      {"id", "chatcmpl-fake"}, {"object", "chat.completion"}, {"created", 1700000000}, {"model", "gpt-fake"},
      {"choices", {{{"index", 0}, {"message", {{"role", "assistant"}, {"content", content}}}, {"finish_reason", "stop"}}}},
      {"usage", {{"prompt_tokens", 11}, {"completion_tokens", 7}, {"total_tokens", 18}}}};
  r.body = body.dump();
  return r;
}

FakeReply FakeReply::stream_ok(int n, std::chrono::milliseconds delay) {
  FakeReply r;
  r.kind = Kind::kStream;
  r.chunk_delay = delay;
  for (int i = 0; i < n; ++i) {
    nlohmann::json c = {{"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
                        {"model", "gpt-fake"},
                        {"choices", {{{"index", 0}, {"delta", {{"content", "tok" + std::to_string(i) + " "}}},
                                      {"finish_reason", nullptr}}}}};
    r.chunks.push_back(c.dump());
  }
  nlohmann::json last = {{"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
                         {"model", "gpt-fake"},
                         {"choices", {{{"index", 0}, {"delta", nlohmann::json::object()}, {"finish_reason", "stop"}}}}};
  r.chunks.push_back(last.dump());
  nlohmann::json usage = {{"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"created", 1700000000},
                          {"model", "gpt-fake"}, {"choices", nlohmann::json::array()},
                          {"usage", {{"prompt_tokens", 11}, {"completion_tokens", n}, {"total_tokens", 11 + n}}}};
  r.chunks.push_back(usage.dump());
  return r;
}

FakeReply FakeReply::status_reply(int status, const std::string& body) {
  FakeReply r;
  r.status = status;
  r.body = body;
  return r;
}

struct FakeCloud::Impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<ssl::context> ctx;
  std::thread accept_thread;
  std::vector<std::thread> conn_threads;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::deque<FakeReply> queue;
  FakeReply fallback = FakeReply::json_ok();
  std::function<FakeReply(const std::string&)> script;
  std::string received;
  int requests = 0;
  int connections = 0;
  int peer_closes = 0;
  bool stopping = false;
  std::vector<int> open_fds;

  FakeReply next_reply(const std::string& body) {
    std::lock_guard lock(mu);
    if (script) return script(body);
    if (!queue.empty()) {
      auto r = std::move(queue.front());
      queue.pop_front();
      return r;
    }
    return fallback;
  }

  void record(const char* data, std::size_t n) {
    std::lock_guard lock(mu);
    received.append(data, n);
  }

  // True when the peer has closed its side (FIN) or the socket errored.
  static bool peer_gone(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
  }

  // Sleeps in slices, watching for the client hanging up; false if it did.
  bool wait_watching(int fd, std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
      if (peer_gone(fd)) return false;
      {
        std::lock_guard lock(mu);
        if (stopping) return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return !peer_gone(fd);
  }

  void note_peer_close() {
    {
      std::lock_guard lock(mu);
      ++peer_closes;
    }
    cv.notify_all();
  }

  template <class Stream>
  void serve(Stream& stream, int fd) {
    boost::beast::flat_buffer buf;
    while (true) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      error_code ec;
      while (!parser.is_done()) {
        char tmp[8192];
        std::size_t n = stream.read_some(net::buffer(tmp), ec);
        if (ec) return;
        record(tmp, n);
        buf.commit(net::buffer_copy(buf.prepare(n), net::buffer(tmp, n)));
        while (buf.size() > 0 && !parser.is_done()) {
          std::size_t used = parser.put(buf.data(), ec);
          if (ec == http::error::need_more) {
            ec = {};
            break;
          }
          if (ec) return;
          buf.consume(used);
          if (used == 0) break;
        }
      }
      {
        std::lock_guard lock(mu);
        ++requests;
      }
      cv.notify_all();
      FakeReply reply = next_reply(parser.get().body());
      if (reply.first_byte_delay.count() > 0 && !wait_watching(fd, reply.first_byte_delay)) {
        note_peer_close();
        return;
      }
      if (reply.kind == FakeReply::Kind::kJson) {
        std::string head = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nContent-Type: application/json\r\n";
        for (auto& [k, v] : reply.headers) head += k + ": " + v + "\r\n";
        head += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
        net::write(stream, net::buffer(head + reply.body), ec);
        if (ec) return;
        continue;
      }
      std::string head = "HTTP/1.1 " + std::to_string(reply.status) +
                         " OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n";
      for (auto& [k, v] : reply.headers) head += k + ": " + v + "\r\n";
      net::write(stream, net::buffer(head + "\r\n"), ec);
      if (ec) return;
      auto send_chunk = [&](const std::string& payload) {
        std::string ev = "data: " + payload + "\n\n";
        char len[32];
        std::snprintf(len, sizeof len, "%zx\r\n", ev.size());
        net::write(stream, net::buffer(std::string(len) + ev + "\r\n"), ec);
        return !ec;
      };
      for (std::size_t i = 0; i < reply.chunks.size(); ++i) {
        if (static_cast<int>(i) == reply.reset_after_chunks) {
          // Let the client read what was sent: an RST discards unread data.
          wait_watching(fd, std::chrono::milliseconds(300));
          linger l{1, 0};  // close with RST
          ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
          boost::beast::get_lowest_layer(stream).close(ec);
          return;
        }
        if (static_cast<int>(i) == reply.stall_after_chunks) {
          if (!wait_watching(fd, std::chrono::hours(1))) note_peer_close();
          return;
        }
        if (i > 0 && reply.chunk_delay.count() > 0 && !wait_watching(fd, reply.chunk_delay)) {
          note_peer_close();
          return;
        }
        if (!send_chunk(reply.chunks[i])) {
          note_peer_close();
          return;
        }
      }
      if (reply.send_done && !send_chunk("[DONE]")) return;
      net::write(stream, net::buffer(std::string("0\r\n\r\n")), ec);
      if (ec) return;
    }
  }
};

FakeCloud::FakeCloud(Tls tls) : impl_(std::make_unique<Impl>()), tls_(tls) {
  auto& im = *impl_;
  if (tls != Tls::kNone) {
    const auto& pki = TestPki::get();
    im.ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    std::string cert = tls == Tls::kTrusted ? pki.server_cert : tls == Tls::kWrongHost ? pki.wrong_host_cert : pki.untrusted_cert;
    std::string key = tls == Tls::kTrusted ? pki.server_key : tls == Tls::kWrongHost ? pki.wrong_host_key : pki.untrusted_key;
    im.ctx->use_certificate_chain_file(cert);
    im.ctx->use_private_key_file(key, ssl::context::pem);
  }
  tcp::endpoint ep(net::ip::make_address("127.0.0.1"), 0);
  im.acceptor.open(ep.protocol());
  im.acceptor.set_option(net::socket_base::reuse_address(true));
  im.acceptor.bind(ep);
  im.acceptor.listen();
  port_ = im.acceptor.local_endpoint().port();
  im.accept_thread = std::thread([this] {
    auto& im = *impl_;
    while (true) {
      error_code ec;
      tcp::socket sock(im.ioc);
      im.acceptor.accept(sock, ec);
      if (ec) return;
      {
        std::lock_guard lock(im.mu);
        if (im.stopping) return;
        ++im.connections;
        im.open_fds.push_back(sock.native_handle());
      }
      im.conn_threads.emplace_back([this, s = std::move(sock)]() mutable {
        auto& im = *impl_;
        int fd = s.native_handle();
        if (!im.ctx) {
          im.serve(s, fd);
        } else {
          ssl::stream<tcp::socket> tls_stream(std::move(s), *im.ctx);
          error_code ec;
          tls_stream.handshake(ssl::stream_base::server, ec);
          if (!ec) im.serve(tls_stream, fd);
          tls_stream.next_layer().close(ec);
          return;
        }
        error_code ec;
        s.close(ec);
      });
    }
  });
}

void FakeCloud::stop() {
  auto& im = *impl_;
  {
    std::lock_guard lock(im.mu);
    if (im.stopping) return;
    im.stopping = true;
    for (int fd : im.open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  // shutdown() wakes a thread blocked in accept(); close() alone does not.
  ::shutdown(im.acceptor.native_handle(), SHUT_RDWR);
  error_code ec;
  im.acceptor.close(ec);
  if (im.accept_thread.joinable()) im.accept_thread.join();
  for (auto& t : im.conn_threads) t.join();
}

FakeCloud::~FakeCloud() { stop(); }

std::string FakeCloud::base_url() const {
  return std::string(tls_ == Tls::kNone ? "http" : "https") + "://127.0.0.1:" + std::to_string(port_) + "/v1";
}

void FakeCloud::set_default(FakeReply reply) {
  std::lock_guard lock(impl_->mu);
  impl_->fallback = std::move(reply);
}
void FakeCloud::push(FakeReply reply) {
  std::lock_guard lock(impl_->mu);
  impl_->queue.push_back(std::move(reply));
}
void FakeCloud::set_script(std::function<FakeReply(const std::string&)> script) {
  std::lock_guard lock(impl_->mu);
  impl_->script = std::move(script);
}
std::string FakeCloud::received() const {
  std::lock_guard lock(impl_->mu);
  return impl_->received;
}
int FakeCloud::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}
int FakeCloud::connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections;
}
int FakeCloud::peer_closes() const {
  std::lock_guard lock(impl_->mu);
  return impl_->peer_closes;
}
bool FakeCloud::wait_for_peer_close(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->peer_closes > 0; });
}
bool FakeCloud::wait_for_requests(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->requests >= n; });
}

}  // namespace sy::test
