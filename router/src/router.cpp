// Router::decide: egress first (structural, not a rule), then the ordered
// rules, then the egress filter over whatever the rules chose.
#include <algorithm>
#include <sstream>

#include "sy/router/latency.hpp"
#include "sy/router/router.hpp"

namespace sy::router {
namespace {

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

std::string fmt_num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

bool RouteDecision::allows(std::string_view target) const { return contains(egress, target); }

std::string RouteDecision::reason_header() const { return join(reasons, "; "); }

RouteSignals Router::signals(const RequestContext& ctx, const Classification& c, const VolumeTracker* volume,
                             const LatencyModel* latency, bool local_available) const {
  RouteSignals s;
  if (volume) s.volume = volume->snapshot(ctx.key_id);
  if (latency) {
    for (const auto& target : {options_.local_target, options_.cloud_target}) {
      if (auto p = latency->predict_ms(target, c.max_output_tokens)) s.predicted_latency_ms[target] = *p;
    }
  }
  s.local_available = local_available;
  return s;
}

RouteDecision Router::decide(const ChatRequest& req, const RequestContext& ctx, const Classification& c,
                             const RouteSignals& sig) const {
  RouteDecision d;
  const std::string& L = options_.local_target;
  const std::string& C = options_.cloud_target;
  const bool requested_cloud = !is_auto_model(req.model) && !is_local_model(req.model);
  d.model_for_cloud = requested_cloud ? req.model : options_.cloud_default_model;

  // 1. Egress. A sensitive (or unclassifiable) prompt may only reach the
  // local target unless an explicit exemption covers every entity type found.
  const std::vector<std::string> types = c.entity_types();
  bool cloud_allowed = !c.sensitive;
  if (c.sensitive && !c.fail_closed && !types.empty()) {
    for (const auto& ex : options_.egress_exemptions) {
      if (ex.key_id != ctx.key_id || ctx.key_id.empty()) continue;
      bool all = std::all_of(types.begin(), types.end(), [&](const std::string& t) { return contains(ex.entity_types, t); });
      if (all) cloud_allowed = true;
    }
  }
  d.egress = {L};
  if (cloud_allowed) d.egress.push_back(C);
  if (c.fail_closed) {
    d.reasons.push_back("fail-closed: " + c.fail_reason);
  } else if (c.sensitive) {
    d.reasons.push_back("sensitive: " + join(types, ","));
    if (cloud_allowed) d.reasons.push_back("egress exemption for key " + ctx.key_id);
  }
  if (!cloud_allowed) d.reasons.push_back("egress: local only");

  if (!cloud_allowed && requested_cloud) {
    if (options_.on_sensitive_cloud_request == "reject") {
      d.rejected = true;
      d.reject_message = "the prompt contains sensitive data (" + (c.fail_closed ? std::string("unclassifiable") : join(types, ", ")) +
                         ") and cloud model '" + req.model + "' was requested; this gateway does not send such prompts to the cloud";
      d.reasons.push_back("rejected: cloud model requested for a sensitive prompt");
      return d;
    }
    d.reasons.push_back("rerouted: cloud model '" + req.model + "' requested for a sensitive prompt");
  }

  // 2. Rules, first match wins.
  const bool high_volume =
      (options_.volume.high_requests_per_minute > 0 && sig.volume.requests_per_minute > options_.volume.high_requests_per_minute) ||
      (options_.volume.high_tokens_per_minute > 0 && sig.volume.tokens_per_minute > options_.volume.high_tokens_per_minute);
  auto matches = [&](const RuleCondition& w, std::vector<std::string>& why) {
    if (w.sensitive) {
      if (c.sensitive != *w.sensitive) return false;
      why.push_back(c.sensitive ? "sensitive" : "not sensitive");
    }
    if (!w.entity_types_any.empty()) {
      bool any = std::any_of(types.begin(), types.end(), [&](const std::string& t) { return contains(w.entity_types_any, t); });
      if (!any) return false;
      why.push_back("entity type match");
    }
    for (const auto& [name, value] : w.headers) {
      bool found = std::any_of(ctx.headers.begin(), ctx.headers.end(),
                               [&](const auto& h) { return h.first == name && h.second == value; });
      if (!found) return false;
      why.push_back("header " + name + ": " + value);
    }
    if (!w.models.empty()) {
      if (!contains(w.models, req.model)) return false;
      why.push_back("model " + req.model);
    }
    if (!w.keys.empty()) {
      if (!contains(w.keys, ctx.key_id)) return false;
      why.push_back("key " + ctx.key_id);
    }
    if (w.estimated_cost_usd_over) {
      if (!(c.estimated_cost_usd > *w.estimated_cost_usd_over)) return false;
      why.push_back("estimated cost $" + fmt_num(c.estimated_cost_usd) + " > $" + fmt_num(*w.estimated_cost_usd_over));
    }
    if (w.prompt_tokens_over) {
      if (!(c.prompt_tokens_estimate > *w.prompt_tokens_over)) return false;
      why.push_back("prompt tokens " + std::to_string(c.prompt_tokens_estimate) + " > " + std::to_string(*w.prompt_tokens_over));
    }
    if (w.key_requests_per_minute_over) {
      if (!(sig.volume.requests_per_minute > *w.key_requests_per_minute_over)) return false;
      why.push_back("key requests/min " + fmt_num(sig.volume.requests_per_minute) + " > " + fmt_num(*w.key_requests_per_minute_over));
    }
    if (w.key_tokens_per_minute_over) {
      if (!(sig.volume.tokens_per_minute > *w.key_tokens_per_minute_over)) return false;
      why.push_back("key tokens/min " + fmt_num(sig.volume.tokens_per_minute) + " > " + fmt_num(*w.key_tokens_per_minute_over));
    }
    if (w.high_volume) {
      if (high_volume != *w.high_volume) return false;
      why.push_back(high_volume ? "high volume" : "normal volume");
    }
    if (w.latency_budget_ms_under) {
      if (!c.latency_budget_ms || !(*c.latency_budget_ms < *w.latency_budget_ms_under)) return false;
      why.push_back("latency budget " + std::to_string(*c.latency_budget_ms) + " ms < " + std::to_string(*w.latency_budget_ms_under) + " ms");
    }
    if (w.local_available) {
      if (sig.local_available != *w.local_available) return false;
      why.push_back(sig.local_available ? "local available" : "local unavailable");
    }
    return true;
  };

  std::vector<std::string> chosen;
  for (size_t i = 0; i < options_.rules.size(); ++i) {
    const RoutingRule& r = options_.rules[i];
    std::vector<std::string> why;
    if (!matches(r.when, why)) continue;
    d.rule = r.name.empty() ? "rules[" + std::to_string(i) + "]" : r.name;
    d.reasons.push_back("rule " + d.rule + (why.empty() ? std::string(" (default)") : ": " + join(why, ", ")));
    chosen = r.targets;
    break;
  }
  if (d.rule.empty()) {
    if (requested_cloud) {
      chosen = {C, L};
      d.reasons.push_back("no rule matched: requested cloud model first");
    } else if (is_local_model(req.model)) {
      chosen = {L};
      d.reasons.push_back("no rule matched: local model requested");
    } else {
      chosen = {L, C};
      d.reasons.push_back("no rule matched: local first");
    }
  }

  // An explicitly requested local model is served locally only (the cloud
  // would answer with a different model).
  if (is_local_model(req.model) && !(chosen.size() == 1 && chosen[0] == L)) {
    chosen = {L};
    d.reasons.push_back("local model '" + req.model + "' requested");
  }

  // 3. Pseudo targets.
  std::vector<std::string> expanded;
  for (const auto& t : chosen) {
    if (t == "fastest" || t == "cheapest") {
      std::vector<std::string> order = {L, C};
      if (t == "fastest") {
        auto lat = [&](const std::string& x) {
          auto it = sig.predicted_latency_ms.find(x);
          return it == sig.predicted_latency_ms.end() ? 1e18 : it->second;
        };
        std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) { return lat(a) < lat(b); });
      } else if (c.estimated_cost_usd < c.estimated_local_cost_usd) {
        std::swap(order[0], order[1]);
      }
      for (auto& o : order)
        if (!contains(expanded, o)) expanded.push_back(o);
      d.reasons.push_back(t + ": " + join(order, " > "));
    } else if (!contains(expanded, t)) {
      expanded.push_back(t);
    }
  }

  // 4. Egress filter and availability.
  for (const auto& t : expanded)
    if (d.allows(t) && (t != L || sig.local_available || !cloud_allowed) && (t != C || sig.cloud_available))
      d.targets.push_back(t);
  if (!sig.local_available && cloud_allowed && contains(expanded, L)) d.reasons.push_back("local unavailable");
  if (d.targets.empty()) {
    d.targets.push_back(L);
    d.reasons.push_back("no allowed target left: local");
  }
  return d;
}

}  // namespace sy::router
