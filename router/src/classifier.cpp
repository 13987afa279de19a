// Router::classify: scan every text field of the request, map findings back
// to original code points, estimate tokens and cost. Any failure to scan
// fails closed (sensitive).
#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>
#include <set>

#include "detect/detectors.hpp"
#include "detect/normalized_text.hpp"
#include "sy/router/router.hpp"

namespace sy::router {
namespace {

using detect::Kind;
using detect::RawFinding;

bool sentence_level(Kind k) {
  return k == Kind::kMedical || k == Kind::kConfidentialMarker || k == Kind::kCustom;
}

// Same-kind duplicates and overlapping pattern findings: the longer span wins.
void resolve_overlaps(detect::Findings& f) {
  if (f.size() < 2) return;
  std::sort(f.begin(), f.end(), [](const RawFinding& a, const RawFinding& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.end - a.start != b.end - b.start) return a.end - a.start > b.end - b.start;
    return a.kind < b.kind;  // same span: the more specific type (API_KEY before PASSWORD) wins
  });
  detect::Findings kept;
  kept.reserve(f.size());
  // Only findings still open at r.start can overlap it (sorted by start), so
  // the check stays linear even for prompts with thousands of findings.
  std::vector<size_t> active;  // indices into kept
  for (const auto& r : f) {
    for (size_t a = 0; a < active.size();) {
      if (kept[active[a]].end <= r.start) {
        active[a] = active.back();
        active.pop_back();
      } else {
        ++a;
      }
    }
    bool drop = false;
    for (size_t a : active) {
      const auto& k = kept[a];
      if (r.kind == k.kind && r.custom_rule == k.custom_rule) {
        drop = true;
        break;
      }
      if (!sentence_level(r.kind) && !sentence_level(k.kind) && (k.end - k.start) >= (r.end - r.start)) {
        drop = true;
        break;
      }
    }
    if (!drop) {
      kept.push_back(r);
      active.push_back(kept.size() - 1);
    }
  }
  f.swap(kept);
}

double estimate_tokens(std::string_view s, double bytes_per_token) {
  // Eight bytes at a time: popcounts of the high bits give ASCII bytes and
  // UTF-8 lead bytes by sequence length (2, 3, 4 bytes).
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  int64_t nonascii = 0, lead = 0, lead3up = 0, lead4 = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    const uint64_t hi = w & kHigh;
    if (hi == 0) continue;
    const uint64_t b6 = (w << 1) & kHigh, b5 = (w << 2) & kHigh, b4 = (w << 3) & kHigh;
    nonascii += std::popcount(hi);
    lead += std::popcount(hi & b6);
    lead3up += std::popcount(hi & b6 & b5);
    lead4 += std::popcount(hi & b6 & b5 & b4);
  }
  for (; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    nonascii += c >= 0x80;
    lead += c >= 0xC0;
    lead3up += c >= 0xE0;
    lead4 += c >= 0xF0;
  }
  const int64_t ascii = static_cast<int64_t>(s.size()) - nonascii;
  const int64_t lead2 = lead - lead3up, lead3 = lead3up - lead4;
  // Calibrated against the o200k tokenizer (tests/data/tiny-gpt-oss) on the
  // sensitivity corpus: 4.0 ASCII bytes per token, ~0.9 token per CJK character.
  return static_cast<double>(ascii) / bytes_per_token + 0.5 * static_cast<double>(lead2) +
         0.9 * static_cast<double>(lead3) + 1.5 * static_cast<double>(lead4);
}

}  // namespace

std::vector<std::string> Classification::entity_types() const {
  std::set<std::string> types;
  for (const auto& f : findings)
    if (f.sensitive) types.insert(f.type);
  return {types.begin(), types.end()};
}

Router::Router(RouterOptions options, TokenCounter counter)
    : options_(std::move(options)),
      counter_(std::move(counter)),
      detectors_(std::make_unique<detect::Detectors>(options_.sensitivity)) {}

Router::~Router() = default;

bool Router::is_auto_model(std::string_view model) const { return model.empty() || model == "auto"; }

bool Router::is_local_model(std::string_view model) const {
  return model == options_.local_model || model == options_.local_target;
}

Classification Router::classify(const ChatRequest& req, const RequestContext& ctx) const {
  Classification c;
  // Field names are built only for findings (no allocation on the clean path).
  enum class FieldKind { kContent, kReasoning, kName, kToolArgs, kToolDescription, kToolParameters };
  struct Field {
    int message;
    FieldKind kind;
    size_t index;
    const std::string* text;
  };
  auto field_name = [](const Field& f) -> std::string {
    switch (f.kind) {
      case FieldKind::kContent: return "content";
      case FieldKind::kReasoning: return "reasoning_content";
      case FieldKind::kName: return "name";
      case FieldKind::kToolArgs: return "tool_calls[" + std::to_string(f.index) + "].arguments";
      case FieldKind::kToolDescription: return "tools[" + std::to_string(f.index) + "].description";
      case FieldKind::kToolParameters: return "tools[" + std::to_string(f.index) + "].parameters";
    }
    return "content";
  };
  std::vector<Field> fields;
  fields.reserve(req.messages.size() + 2 * req.tools.size());
  for (size_t i = 0; i < req.messages.size(); ++i) {
    const Message& m = req.messages[i];
    const int mi = static_cast<int>(i);
    fields.push_back({mi, FieldKind::kContent, 0, &m.content});
    if (!m.reasoning_content.empty()) fields.push_back({mi, FieldKind::kReasoning, 0, &m.reasoning_content});
    if (!m.name.empty()) fields.push_back({mi, FieldKind::kName, 0, &m.name});
    for (size_t k = 0; k < m.tool_calls.size(); ++k) {
      fields.push_back({mi, FieldKind::kToolArgs, k, &m.tool_calls[k].arguments});
    }
  }
  for (size_t k = 0; k < req.tools.size(); ++k) {
    fields.push_back({-1, FieldKind::kToolDescription, k, &req.tools[k].description});
    fields.push_back({-1, FieldKind::kToolParameters, k, &req.tools[k].parameters_json});
  }

  int64_t total = 0;
  for (const auto& f : fields) total += static_cast<int64_t>(f.text->size());
  c.scanned_bytes = total;
  if (total > options_.sensitivity.scan_limit_bytes) {
    c.fail_closed = true;
    c.fail_reason = "prompt of " + std::to_string(total) + " bytes exceeds the scan limit of " +
                    std::to_string(options_.sensitivity.scan_limit_bytes);
  }

  // Reused per thread: no allocation or page faults per request once warm.
  thread_local detect::NormalizedText nt;
  thread_local detect::Findings raw;
  for (const auto& f : fields) {
    if (c.fail_closed) break;
    if (f.text->empty()) continue;
    if (!nt.build(*f.text)) {
      c.fail_closed = true;
      c.fail_reason = "invalid UTF-8 in " + (f.message >= 0 ? "messages[" + std::to_string(f.message) + "]." : "") + field_name(f);
      break;
    }
    raw.clear();
    if (!detectors_->scan(nt.text(), raw)) {
      c.fail_closed = true;
      c.fail_reason = "sensitivity scan failed";
      break;
    }
    resolve_overlaps(raw);
    for (const auto& r : raw) {
      Finding out;
      if (r.kind == Kind::kCustom) {
        const CustomRule& rule = detectors_->custom_rule(r.custom_rule);
        out.type = rule.name;
        out.detector = "custom";
        out.sensitive = rule.level != "flag";
      } else {
        out.type = detect::kind_type(r.kind);
        out.detector = detect::kind_detector(r.kind);
      }
      out.message = f.message;
      out.field = field_name(f);
      out.start = nt.orig_start(r.start);
      out.end = nt.orig_end(r.end);
      c.findings.push_back(std::move(out));
    }
  }
  c.sensitive = c.fail_closed || std::any_of(c.findings.begin(), c.findings.end(), [](const Finding& f) {
                  return f.sensitive;
                });

  // Tokens and cost.
  double tokens = 3.0;
  if (counter_) {
    c.prompt_tokens_exact = true;
    for (const auto& f : fields) tokens += counter_(*f.text);
  } else {
    for (const auto& f : fields) tokens += estimate_tokens(*f.text, options_.bytes_per_token);
  }
  tokens += 4.0 * static_cast<double>(req.messages.size());
  c.prompt_tokens_estimate = static_cast<int64_t>(tokens + 0.5);
  c.max_output_tokens = req.max_tokens.value_or(options_.default_max_output_tokens);
  std::string model = req.model;
  if (is_auto_model(model) || is_local_model(model) || !options_.pricing.contains(model)) {
    model = options_.cloud_default_model;
  }
  c.priced_model = model;
  auto price = options_.pricing.find(model);
  if (price != options_.pricing.end()) {
    c.estimated_cost_usd = (static_cast<double>(c.prompt_tokens_estimate) * price->second.input_per_mtok +
                            static_cast<double>(c.max_output_tokens) * price->second.output_per_mtok) / 1e6;
  }
  c.estimated_local_cost_usd = (static_cast<double>(c.prompt_tokens_estimate) * options_.local_price.input_per_mtok +
                                static_cast<double>(c.max_output_tokens) * options_.local_price.output_per_mtok) / 1e6;

  // Latency budget: request context, header, per-key config, default.
  c.latency_budget_ms = ctx.latency_budget_ms;
  if (!c.latency_budget_ms) {
    for (const auto& [name, value] : ctx.headers) {
      if (name != "x-switchyard-latency-budget-ms") continue;
      int64_t v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec == std::errc() && p == value.data() + value.size() && v > 0) c.latency_budget_ms = v;
    }
  }
  if (!c.latency_budget_ms) {
    auto it = options_.key_latency_budget_ms.find(ctx.key_id);
    if (it != options_.key_latency_budget_ms.end()) c.latency_budget_ms = it->second;
  }
  if (!c.latency_budget_ms) c.latency_budget_ms = options_.default_latency_budget_ms;
  return c;
}

const std::vector<std::string>& builtin_detector_names() {
  static const std::vector<std::string> names = {
      "email", "phone", "credit_card", "iban", "us_ssn", "cn_resident_id", "ip_address", "api_key",
      "private_key", "password", "medical", "confidential_marker"};
  return names;
}

std::optional<std::string> check_custom_regex(const std::string& pattern) { return detect::compile_check(pattern); }

}  // namespace sy::router
