// `switchyard classify --config FILE [--jsonl] [--key ID] [--header "Name: value"]`:
// reads an OpenAI chat request (or one per line with --jsonl) on stdin and
// prints the classification and routing decision as JSON.
#include <iostream>
#include <memory>
#include <string>

#include "cli/classify_json.hpp"
#include "cli/commands.hpp"
#include "cli/default_config.hpp"
#include "openai/chat_request_json.hpp"
#include "sy/config/config.hpp"

namespace sy::gateway::cli {

using nlohmann::json;

json classification_to_json(const router::Classification& c, const router::RouteDecision& d) {
  json findings = json::array();
  for (const auto& f : c.findings) {
    json j = {{"type", f.type}, {"message", f.message}, {"start", f.start}, {"end", f.end}, {"detector", f.detector}};
    if (f.field != "content") j["field"] = f.field;
    if (!f.sensitive) j["sensitive"] = false;
    findings.push_back(std::move(j));
  }
  json out = {
      {"sensitive", c.sensitive},
      {"fail_closed", c.fail_closed},
      {"findings", std::move(findings)},
      {"entity_types", c.entity_types()},
      {"prompt_tokens_estimate", c.prompt_tokens_estimate},
      {"prompt_tokens_exact", c.prompt_tokens_exact},
      {"max_output_tokens", c.max_output_tokens},
      {"priced_model", c.priced_model},
      {"estimated_cost_usd", c.estimated_cost_usd},
      {"route", d.targets.empty() ? json(nullptr) : json(d.targets.front())},
      {"targets", d.targets},
      {"egress", d.egress},
      {"reasons", d.reasons},
      {"rule", d.rule},
      {"model_for_cloud", d.model_for_cloud},
      {"rejected", d.rejected},
  };
  if (c.fail_closed) out["fail_reason"] = c.fail_reason;
  if (c.latency_budget_ms) out["latency_budget_ms"] = *c.latency_budget_ms;
  if (d.rejected) out["reject_message"] = d.reject_message;
  return out;
}

namespace {

struct ClassifyArgs {
  std::string config_path;
  bool jsonl = false;
  std::string key_id;
  std::vector<std::string> headers;
};

json error_json(const std::string& message, const std::string& param = "") {
  json e = {{"message", message}, {"type", "invalid_request_error"}};
  if (!param.empty()) e["param"] = param;
  return {{"error", e}};
}

// One request text -> one result; false when the input was not a valid request.
bool classify_one(const router::Router& r, const config::Config& cfg, const ClassifyArgs& args, const std::string& text,
                  json& out) {
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(text, nullptr, false);
  if (body.is_discarded()) {
    out = error_json("input is not valid JSON");
    return false;
  }
  // A bare message list (e.g. a corpus case) gets model `auto`.
  if (body.is_object() && !body.contains("model")) body["model"] = "auto";
  auto req = openai::parse_chat_request(body);
  if (!req) {
    out = error_json(req.error().message, req.error().param);
    return false;
  }
  router::RequestContext ctx;
  ctx.key_id = args.key_id;
  for (const auto& h : args.headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos) continue;
    std::string name = h.substr(0, colon);
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(value.begin());
    ctx.headers.emplace_back(name, value);
  }
  auto c = r.classify(*req, ctx);
  auto signals = r.signals(ctx, c, nullptr, nullptr, cfg.local.has_value());
  signals.cloud_available = cfg.cloud.has_value();
  auto d = r.decide(*req, ctx, c, signals);
  out = classification_to_json(c, d);
  return true;
}

int run_classify(const ClassifyArgs& args) {
  config::Config cfg;
  try {
    cfg = args.config_path.empty()
              ? config::parse_config(kDefaultConfigYaml, kDefaultConfigName, kDefaultConfigBaseDir)
              : config::load_config_file(args.config_path);
  } catch (const config::ConfigError& e) {
    std::cerr << "switchyard: config error: " << e.what() << "\n";
    return 2;
  }
  std::unique_ptr<router::Router> r;
  try {
    r = std::make_unique<router::Router>(cfg.routing);
  } catch (const std::exception& e) {
    std::cerr << "switchyard: routing config error: " << e.what() << "\n";
    return 2;
  }
  int rc = 0;
  if (args.jsonl) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      json out;
      if (!classify_one(*r, cfg, args, line, out)) rc = 1;
      std::cout << out.dump() << "\n";
    }
  } else {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    json out;
    if (!classify_one(*r, cfg, args, text, out)) rc = 1;
    std::cout << out.dump(2) << "\n";
  }
  std::cout.flush();
  return rc;
}

}  // namespace

void add_classify_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ClassifyArgs>();
  auto* cmd = app.add_subcommand("classify", "Classify a chat request from stdin (dry run: findings and route, never values)");
  cmd->add_option("--config", args->config_path, "YAML config file (default: the embedded config/switchyard.yaml)");
  cmd->add_flag("--jsonl", args->jsonl, "one request per line in, one result per line out");
  cmd->add_option("--key", args->key_id, "virtual key id to evaluate key-specific rules and exemptions");
  cmd->add_option("--header", args->headers, "request header \"Name: value\" (repeatable)");
  cmd->callback([args, &exit_code] { exit_code = run_classify(*args); });
}

}  // namespace sy::gateway::cli
