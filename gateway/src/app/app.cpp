#include "sy/gateway/app.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <random>

#include "app/app_state.hpp"
#include "http/server.hpp"
#include "openai/errors.hpp"
#include "pipeline/chat_exchange.hpp"
#include "routes/classify_route.hpp"

namespace sy::gateway {

using nlohmann::json;

namespace {

bool valid_request_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':')) return false;
  }
  return true;
}

std::string new_request_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "req_%016llx%08llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng() & 0xffffffffu));
  return buf;
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

}  // namespace

class App::Impl {
 public:
  explicit Impl(config::Config cfg)
      : state_(std::move(cfg)),
        server_(state_.config.server, [this](http::Request r, std::shared_ptr<http::ResponseChannel> c) {
                  handle(std::move(r), std::move(c));
                },
                [](int status, const std::string& message, const std::string& code) {
                  return openai::error_body(status, message, code);
                }) {}

  uint16_t start() { return server_.start(); }
  void run() { server_.run(); }
  void shutdown() {
    state_.draining = true;
    server_.drain_and_stop();
  }

 private:
  void handle(http::Request req, std::shared_ptr<http::ResponseChannel> ch) {
    std::string rid = req.header("x-request-id");
    if (!valid_request_id(rid)) rid = new_request_id();
    const std::string path = path_of(req.target);
    auto json_response = [&](int status, const json& body, http::Headers extra = {}) {
      extra.emplace_back("content-type", "application/json");
      extra.emplace_back("x-request-id", rid);
      ch->respond(status, std::move(extra), body.dump());
      spdlog::info(R"({{"request_id":"{}","method":"{}","path":"{}","status":{}}})", rid, req.method, path, status);
    };
    auto error = [&](int status, const std::string& message, const std::string& code, http::Headers extra = {}) {
      json_response(status, json::parse(openai::error_body(status, message, code)), std::move(extra));
    };
    auto only = [&](const char* method) {
      if (req.method == method) return true;
      error(405, "method " + req.method + " is not allowed on " + path, "method_not_allowed", {{"allow", method}});
      return false;
    };

    if (path == "/v1/chat/completions") {
      if (!only("POST")) return;
      std::make_shared<ChatExchange>(state_, std::move(req), std::move(ch), rid)->run();
    } else if (path == "/v1/switchyard/classify") {
      if (!only("POST")) return;
      auto [status, body] = classify_route(state_, req);
      json_response(status, body);
    } else if (path == "/v1/models") {
      if (!only("GET")) return;
      json data = json::array();
      if (state_.local) {
        for (const auto& m : state_.local->models()) {
          data.push_back({{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard-local"}});
        }
      }
      if (state_.cloud) {
        for (const auto& m : state_.cloud->models()) {
          data.push_back({{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", state_.cloud->name()}});
        }
      }
      data.push_back({{"id", "auto"}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard-router"}});
      json_response(200, {{"object", "list"}, {"data", data}});
    } else if (path == "/metrics") {
      if (!only("GET")) return;
      ch->respond(200, {{"content-type", "text/plain; version=0.0.4"}, {"x-request-id", rid}}, render_metrics(state_));
    } else if (path == "/healthz") {
      if (!only("GET")) return;
      json_response(200, {{"status", "ok"}});
    } else if (path == "/readyz") {
      if (!only("GET")) return;
      json targets = json::object();
      bool any = false;
      for (const auto& t : {state_.config.routing.local_target, state_.config.routing.cloud_target}) {
        if (!state_.backend(t)) continue;
        auto snap = state_.breakers->at(t).snapshot();
        bool up = state_.breakers->at(t).available();
        any = any || up;
        targets[t] = {{"available", up}, {"breaker", std::string(policies::to_string(snap.state))}};
      }
      bool ready = any && !state_.draining;
      json_response(ready ? 200 : 503, {{"status", ready ? "ready" : (state_.draining ? "draining" : "unavailable")},
                                        {"targets", targets}});
    } else {
      error(404, "no route for " + req.method + " " + path, "not_found");
    }
  }

  AppState state_;
  http::Server server_;
};

App::App(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}
App::~App() = default;
uint16_t App::start() { return impl_->start(); }
void App::run() { impl_->run(); }
void App::shutdown() { impl_->shutdown(); }

}  // namespace sy::gateway
