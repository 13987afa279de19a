// `switchyard model tokenize` and `switchyard model render`: the engine's
// tokenizer and harmony renderer on the command line, for parity checks
// against other implementations on any gpt-oss GGUF.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "backends/local_backend.hpp"
#include "cli/commands.hpp"
#include "openai/chat_request_json.hpp"
#include "sy/local_engine/gguf.hpp"
#include "sy/local_engine/harmony.hpp"
#include "sy/local_engine/tokenizer.hpp"

namespace sy::gateway::cli {
namespace {

namespace le = sy::local_engine;
constexpr int kBadInput = 2;

std::string read_stdin() {
  std::cin >> std::noskipws;
  return {std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
}

std::unique_ptr<le::Tokenizer> load_tokenizer(const std::string& path) {
  auto file = le::gguf::File::open(path);
  if (!file) {
    std::cerr << "error: cannot load model " << path << ": " << file.error() << "\n";
    return nullptr;
  }
  auto tok = le::Tokenizer::from_gguf(**file);
  if (!tok) {
    std::cerr << "error: model " << path << ": " << tok.error() << "\n";
    return nullptr;
  }
  return std::move(*tok);
}

std::string to_json(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

int run_tokenize(const std::string& model, bool special) {
  const auto tok = load_tokenizer(model);
  if (!tok) return kBadInput;
  const std::string text = read_stdin();
  std::cout << to_json(tok->encode(text, special)) << "\n";
  return 0;
}

int run_render(const std::string& model, const std::string& date) {
  const auto tok = load_tokenizer(model);
  if (!tok) return kBadInput;
  // Exactly the gateway's path: its request parser, then its engine adapter.
  const auto body = nlohmann::ordered_json::parse(read_stdin(), nullptr, false);
  if (body.is_discarded()) {
    std::cerr << "error: the chat request on stdin is not valid JSON\n";
    return kBadInput;
  }
  const auto parsed = openai::parse_chat_request(body);
  if (!parsed) {
    std::cerr << "error: bad chat request on stdin: " << parsed.error().message << "\n";
    return kBadInput;
  }
  const auto rendered = le::harmony::render_chat(to_engine_request(*parsed), *tok, {date, ""});
  if (!rendered) {
    std::cerr << "error: cannot render the chat: " << rendered.error() << "\n";
    return kBadInput;
  }
  nlohmann::json out;
  out["prompt"] = rendered->prompt;
  out["token_ids"] = rendered->token_ids;
  std::cout << to_json(out) << "\n";
  return 0;
}

}  // namespace

void add_model_text_commands(CLI::App& model, int& exit_code) {
  struct Args {
    std::string model;
    bool special = false;
    std::string date;
  };
  auto args = std::make_shared<Args>();

  auto* tokenize = model.add_subcommand("tokenize", "Tokenize the text on stdin (exact bytes) and print the ids as JSON");
  tokenize->add_option("--model", args->model, "GGUF model file")->required();
  tokenize->add_flag("--special", args->special,
                     "Parse special-token text such as <|start|> into special ids (never done for user text)");
  tokenize->callback([args, &exit_code] { exit_code = run_tokenize(args->model, args->special); });

  auto* render = model.add_subcommand(
      "render", "Render an OpenAI chat request (JSON on stdin) to the harmony prompt and token ids the engine feeds");
  render->add_option("--model", args->model, "GGUF model file")->required();
  render->add_option("--date", args->date, "Date for 'Current date:' as YYYY-MM-DD (default: today, UTC)")
      ->check([](const std::string& d) -> std::string {
        const bool ok = d.size() == 10 && d[4] == '-' && d[7] == '-' &&
                        d.find_first_not_of("0123456789-") == std::string::npos;
        return ok ? "" : "must be YYYY-MM-DD";
      });
  render->callback([args, &exit_code] { exit_code = run_render(args->model, args->date); });
}

}  // namespace sy::gateway::cli
