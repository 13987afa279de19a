#include "routes/classify_route.hpp"

#include "cli/classify_json.hpp"
#include "openai/chat_request_json.hpp"
#include "openai/errors.hpp"

namespace sy::gateway {

using nlohmann::json;

std::pair<int, json> classify_route(AppState& app, const http::Request& request) {
  auto body = nlohmann::ordered_json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return {400, json::parse(openai::error_body(400, "request body is not valid JSON", "invalid_json"))};
  auto parsed = openai::parse_chat_request(body);
  if (!parsed) {
    return {400, json::parse(openai::error_body(400, parsed.error().message, "invalid_request", parsed.error().param))};
  }
  router::RequestContext ctx;
  ctx.headers = request.headers;
  auto auth = request.header("authorization");
  auto tenant = app.keys->authenticate(auth.empty() ? std::nullopt : std::optional<std::string_view>(auth));
  if (!tenant) {
    int status = policies::http_status(tenant.error());
    return {status, json::parse(openai::error_body(status, std::string(policies::message(tenant.error())), "invalid_api_key"))};
  }
  ctx.key_id = (*tenant)->id;
  auto c = app.router->classify(*parsed, ctx);
  bool local_available = app.local && app.breakers->at(app.config.routing.local_target).available();
  auto signals = app.router->signals(ctx, c, &app.volume, &app.latency, local_available);
  signals.cloud_available = app.cloud && app.breakers->at(app.config.routing.cloud_target).available();
  auto decision = app.router->decide(*parsed, ctx, c, signals);
  return {200, cli::classification_to_json(c, decision)};
}

}  // namespace sy::gateway
