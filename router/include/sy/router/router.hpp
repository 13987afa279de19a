#pragma once
// The router: classify a request (sensitivity, tokens, cost, latency budget)
// and decide its ordered targets and egress set. Pure and in-process.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sy/router/chat_request.hpp"
#include "sy/router/classification.hpp"
#include "sy/router/options.hpp"
#include "sy/router/volume.hpp"

namespace sy::router {

class LatencyModel;

// Exact token count of a text (the local tokenizer, when a model is loaded).
using TokenCounter = std::function<int(std::string_view)>;

struct RouteSignals {
  VolumeSnapshot volume;  // for the request's key
  std::map<std::string, double> predicted_latency_ms;  // per target; missing = unknown
  bool local_available = true;
  bool cloud_available = true;
};

struct RouteDecision {
  std::vector<std::string> targets;  // ordered, already restricted to `egress`
  std::vector<std::string> egress;   // the only targets this request may ever reach
  std::vector<std::string> reasons;  // human-readable, one clause each
  std::string rule;                  // name of the matching rule ("" = default)
  std::string model_for_cloud;       // model name to send upstream if cloud is tried
  bool rejected = false;
  std::string reject_message;

  bool allows(std::string_view target) const;
  std::string reason_header() const;  // reasons joined with "; "
};

namespace detect {
class Detectors;  // compiled sensitivity detectors (internal)
}

class Router {
 public:
  explicit Router(RouterOptions options, TokenCounter counter = {});
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  Classification classify(const ChatRequest& request, const RequestContext& ctx) const;
  RouteDecision decide(const ChatRequest& request, const RequestContext& ctx, const Classification& c,
                       const RouteSignals& signals) const;

  // Signals from the live trackers (either may be null).
  RouteSignals signals(const RequestContext& ctx, const Classification& c, const VolumeTracker* volume,
                       const LatencyModel* latency, bool local_available) const;

  void set_token_counter(TokenCounter counter) { counter_ = std::move(counter); }
  const RouterOptions& options() const { return options_; }
  bool is_local_model(std::string_view model) const;
  bool is_auto_model(std::string_view model) const;

 private:
  RouterOptions options_;
  TokenCounter counter_;
  std::unique_ptr<detect::Detectors> detectors_;
};

// The built-in detector names accepted in `routing.sensitivity.detectors`.
const std::vector<std::string>& builtin_detector_names();
// Compiles a custom-rule regex the way the router will; error text on failure.
std::optional<std::string> check_custom_regex(const std::string& pattern);

}  // namespace sy::router
