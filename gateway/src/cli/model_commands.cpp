// `switchyard model info|logits|generate`: the engine's GGUF reader and
// forward pass on the command line (parity checks against llama.cpp and
// quick manual runs). Tokenize/render live in model_text_commands.cpp.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "sy/local_engine/engine_impl.hpp"
#include "sy/local_engine/gguf.hpp"
#include "sy/local_engine/model.hpp"
#include "sy/local_engine/synth.hpp"

namespace sy::gateway::cli {
namespace {

namespace le = sy::local_engine;
constexpr int kFailure = 1;
constexpr int kBadInput = 2;
constexpr int kTopK = 20;  // fixture layout of logits_topk.json

std::string human_bytes(uint64_t b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f GiB (%llu bytes)", static_cast<double>(b) / (1024.0 * 1024.0 * 1024.0),
                static_cast<unsigned long long>(b));
  return buf;
}

int run_info(const std::string& path) {
  auto file = le::gguf::File::open(path);
  if (!file) {
    std::cerr << "error: " << file.error() << "\n";
    return kBadInput;
  }
  const auto& f = **file;
  std::cout << "file:          " << path << "\n"
            << "gguf version:  " << f.version() << ", alignment " << f.alignment() << ", shards " << f.shard_count() << "\n"
            << "size:          " << human_bytes(f.total_bytes()) << "\n"
            << "name:          " << f.get_string("general.name").value_or("(none)") << "\n"
            << "architecture:  " << f.get_string("general.architecture").value_or("(none)") << "\n"
            << "metadata keys: " << f.keys().size() << "\n";
  std::map<std::string, std::pair<int, uint64_t>> by_type;
  uint64_t tensor_bytes = 0;
  int64_t params = 0;
  for (const auto& t : f.tensors()) {
    auto& e = by_type[le::gguf::type_name(t.type)];
    ++e.first;
    e.second += t.nbytes;
    tensor_bytes += t.nbytes;
    params += t.n_elements();
  }
  std::cout << "tensors:       " << f.tensors().size() << " (" << human_bytes(tensor_bytes) << ", "
            << static_cast<double>(params) / 1e9 << " B params)\n";
  for (const auto& [name, e] : by_type)
    std::cout << "  " << name << ": " << e.first << " tensors, " << human_bytes(e.second) << "\n";
  auto hp = le::model::HyperParams::from_gguf(f);
  if (!hp) {
    std::cout << "hyper-params:  not a loadable gpt-oss model: " << hp.error() << "\n";
    return 0;
  }
  const auto* emb = f.tensor("token_embd.weight");
  std::cout << "hyper-params:\n"
            << "  n_vocab " << (emb ? emb->ne[1] : 0) << ", n_ctx_train " << hp->n_ctx_train << ", n_embd " << hp->n_embd
            << ", n_layer " << hp->n_layer << "\n"
            << "  n_head " << hp->n_head << ", n_head_kv " << hp->n_head_kv << ", head_dim " << hp->head_dim
            << ", sliding_window " << hp->n_swa << " (SWA layers:";
  for (int i = 0; i < hp->n_layer; ++i)
    if (hp->is_swa(i)) std::cout << " " << i;
  std::cout << ")\n"
            << "  experts " << hp->n_expert << " (used " << hp->n_expert_used << "), expert_ff " << hp->n_ff_exp << "\n"
            << "  rope base " << hp->rope_base << ", yarn " << (hp->yarn ? "on" : "off") << " (factor "
            << 1.0f / hp->rope_freq_scale << ", original ctx " << hp->n_ctx_orig << "), rms_eps " << hp->rms_eps << "\n";
  // Shapes only: no packing (that would take seconds and the model's size in memory).
  auto model = le::model::Model::load(std::shared_ptr<const le::gguf::File>(std::move(*file)), {.pack_weights = false});
  std::cout << "weights:       " << (model ? "all present with expected shapes" : "error: " + model.error()) << "\n";
  return model ? 0 : kFailure;
}

struct LogitsArgs {
  std::string model, prompts, out, path = "fast", kv = "f32";
  int threads = 0;
};

bool write_file(const std::filesystem::path& p, const void* data, size_t bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
  return static_cast<bool>(out);
}

int run_logits(const LogitsArgs& a) {
  auto path = le::model::parse_numeric_path(a.path);
  auto kv = le::model::parse_kv_type(a.kv);
  if (!path || !kv) {
    std::cerr << "error: " << (!path ? path.error() : kv.error()) << "\n";
    return kBadInput;
  }
  nlohmann::json prompts;
  try {
    std::ifstream in(a.prompts);
    if (!in) throw std::runtime_error("cannot open");
    prompts = nlohmann::json::parse(in);
    if (!prompts.contains("prompts") || !prompts["prompts"].is_array()) throw std::runtime_error("no \"prompts\" array");
    for (const auto& p : prompts["prompts"]) (void)p.at("tokens").get<std::vector<int32_t>>();
  } catch (const std::exception& e) {
    std::cerr << "error: " << a.prompts << ": " << e.what() << "\n";
    return kBadInput;
  }
  auto model = le::model::Model::load(a.model);
  if (!model) {
    std::cerr << "error: " << model.error() << "\n";
    return kBadInput;
  }
  std::error_code ec;
  std::filesystem::create_directories(a.out, ec);
  if (ec) {
    std::cerr << "error: cannot create " << a.out << ": " << ec.message() << "\n";
    return kFailure;
  }
  const auto& hp = (*model)->hparams();
  const size_t V = static_cast<size_t>(hp.n_vocab);
  sy::kernels::cpu::ThreadPool pool(a.threads);
  nlohmann::json out = {{"k", kTopK},
                        {"n_vocab", hp.n_vocab},
                        {"config", {{"engine", "switchyard"}, {"path", a.path}, {"type_k", a.kv}, {"type_v", a.kv},
                                    {"threads", pool.size()}, {"one_decode_per_prompt", true}}},
                        {"prompts", nlohmann::json::array()}};
  size_t index = 0;
  for (const auto& p : prompts["prompts"]) {
    const auto tokens = p["tokens"].get<std::vector<int32_t>>();
    if (tokens.empty()) {
      std::cerr << "error: prompt " << index << " has no tokens\n";
      return kBadInput;
    }
    le::model::Context ctx(**model, {static_cast<int>(tokens.size()), *kv, *path}, &pool);
    std::vector<float> logits, margins;
    ctx.set_router_margin_sink(&margins);
    if (auto r = ctx.decode(tokens, true, logits); !r) {
      std::cerr << "error: prompt " << index << ": " << r.error() << "\n";
      return kBadInput;
    }
    nlohmann::json topk = nlohmann::json::array();
    std::vector<int32_t> ids(V);
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
      const float* row = logits.data() + pos * V;
      std::iota(ids.begin(), ids.end(), 0);
      std::partial_sort(ids.begin(), ids.begin() + kTopK, ids.end(),
                        [&](int32_t x, int32_t y) { return row[x] > row[y] || (row[x] == row[y] && x < y); });
      nlohmann::json entry = nlohmann::json::array();
      for (int k = 0; k < kTopK; ++k) entry.push_back({ids[static_cast<size_t>(k)], row[ids[static_cast<size_t>(k)]]});
      topk.push_back(std::move(entry));
    }
    out["prompts"].push_back({{"id", p.value("id", static_cast<int>(index))},
                              {"n_tokens", tokens.size()},
                              {"min_router_margin", margins},
                              {"topk", std::move(topk)}});
    const float* last = logits.data() + (tokens.size() - 1) * V;
    if (!write_file(std::filesystem::path(a.out) / ("logits_last_" + std::to_string(index) + ".f32"), last, V * sizeof(float))) {
      std::cerr << "error: cannot write to " << a.out << "\n";
      return kFailure;
    }
    ++index;
  }
  std::ofstream js(std::filesystem::path(a.out) / "logits_topk.json");
  js << out.dump(1) << "\n";
  if (!js) {
    std::cerr << "error: cannot write logits_topk.json in " << a.out << "\n";
    return kFailure;
  }
  std::cerr << "wrote " << index << " prompts to " << a.out << "\n";
  return 0;
}

struct GenerateArgs {
  std::string model, prompt, path = "fast", kv = "f32";
  bool chat = false, special = false;
  int max_tokens = 128, threads = 0, ctx = 4096;
  float temperature = 1.0f, top_p = 1.0f;
  std::optional<uint64_t> seed;
};

int run_generate(const GenerateArgs& a) {
  le::EngineOptions o;
  o.model_path = a.model;
  o.numeric_path = a.path;
  o.kv_type = a.kv;
  o.threads = a.threads;
  o.context_tokens = a.ctx;
  auto engine = le::CpuEngine::create(o);
  if (!engine) {
    std::cerr << "error: " << engine.error() << "\n";
    return kBadInput;
  }
  auto fail = [](const le::EngineError& e) {
    std::cerr << "\nerror: " << e.message << "\n";
    return kFailure;
  };
  auto finished = [](const std::string& reason, int prompt_tokens, int completion_tokens) {
    std::cout << "\n";
    std::cerr << "finish_reason=" << reason << " prompt_tokens=" << prompt_tokens
              << " completion_tokens=" << completion_tokens << "\n";
  };
  le::SamplingParams sp;
  sp.temperature = a.temperature;
  sp.top_p = a.top_p;
  sp.seed = a.seed;
  sp.max_tokens = a.max_tokens;
  if (a.chat) {
    le::ChatCompletionRequest req;
    req.messages.push_back(le::ChatMessage{"user", a.prompt, {}, {}, {}, {}});
    req.sampling = sp;
    le::DeltaKind last = le::DeltaKind::kContent;
    bool any = false;
    auto r = (*engine)->chat(req, [&](const le::ChatDelta& d) {
      if (!any || d.kind != last) {
        std::cout << (any ? "\n" : "")
                  << (d.kind == le::DeltaKind::kReasoning ? "[reasoning] "
                      : d.kind == le::DeltaKind::kToolCall ? "[tool_call " + d.tool_name + "] "
                                                            : "[content] ");
      }
      any = true;
      last = d.kind;
      std::cout << d.text << std::flush;
      return true;
    });
    if (!r) return fail(r.error());
    finished(r->finish_reason, r->prompt_tokens, r->completion_tokens);
  } else {
    const auto tokens = (*engine)->tokenizer().encode(a.prompt, a.special);
    auto r = (*engine)->generate(tokens, sp, [&](const le::GenerateEvent& ev) {
      std::cout << ev.text << std::flush;
      return true;
    });
    if (!r) return fail(r.error());
    finished(r->finish_reason, r->prompt_tokens, static_cast<int>(r->tokens.size()));
  }
  const auto st = (*engine)->stats();
  std::cerr << "prefill " << st.recent_prefill_tok_s << " tok/s, decode " << st.recent_decode_tok_s << " tok/s\n";
  return 0;
}

struct SynthArgs {
  std::string preset = "gpt-oss-20b", out, vocab_from = SY_DEFAULT_VOCAB_GGUF;
  uint64_t seed = 1;
};

int run_synth(const SynthArgs& a) {
  auto preset = le::model::synth_preset(a.preset);
  if (!preset) {
    std::cerr << "error: unknown preset '" << a.preset << "' (tiny | gpt-oss-20b | gpt-oss-120b)\n";
    return kBadInput;
  }
  auto vocab = le::gguf::File::open(a.vocab_from);
  if (!vocab) {
    std::cerr << "error: --vocab-from: " << vocab.error() << "\n";
    return kBadInput;
  }
  int last_pct = -1;
  auto r = le::model::synthesize(*preset, a.seed, **vocab, a.out, [&](uint64_t done, uint64_t total) {
    const int pct = total ? static_cast<int>(done * 100 / total) : 100;
    if (pct == last_pct) return;
    last_pct = pct;
    std::cerr << "\r[" << std::string(static_cast<size_t>(pct / 2), '#') << std::string(static_cast<size_t>(50 - pct / 2), ' ')
              << "] " << pct << "% " << done / (1 << 20) << " MiB" << std::flush;
  });
  std::cerr << "\n";
  if (!r) {
    std::cerr << "error: " << r.error() << "\n";
    return kFailure;
  }
  std::cerr << "wrote " << a.out << "\n";
  return 0;
}

}  // namespace

void add_model_commands(CLI::App& app, int& exit_code) {
  CLI::App* model = app.add_subcommand("model", "Inspect and run GGUF models");
  model->require_subcommand(1);

  auto info_file = std::make_shared<std::string>();
  CLI::App* info = model->add_subcommand("info", "Print GGUF metadata, tensor summary and gpt-oss hyper-parameters");
  info->add_option("file", *info_file, "GGUF file (first shard of a split model)")->required();
  info->callback([info_file, &exit_code] { exit_code = run_info(*info_file); });

  auto la = std::make_shared<LogitsArgs>();
  CLI::App* logits = model->add_subcommand("logits", "Write logits_topk.json and logits_last_<i>.f32 for a prompts.json");
  logits->add_option("--model", la->model, "GGUF file")->required();
  logits->add_option("--prompts", la->prompts, "fixture-style prompts.json (token ids)")->required();
  logits->add_option("--out", la->out, "output directory")->required();
  logits->add_option("--path", la->path, "numeric path: reference | fast")->check(CLI::IsMember({"reference", "fast"}));
  logits->add_option("--kv", la->kv, "KV cache type: f32 | f16 | q8_0")->check(CLI::IsMember({"f32", "f16", "q8_0"}));
  logits->add_option("--threads", la->threads, "worker threads (0: all cores)");
  logits->callback([la, &exit_code] { exit_code = run_logits(*la); });

  auto ga = std::make_shared<GenerateArgs>();
  CLI::App* gen = model->add_subcommand("generate", "Generate text from a prompt");
  gen->add_option("--model", ga->model, "GGUF file")->required();
  gen->add_option("--prompt", ga->prompt, "prompt text")->required();
  gen->add_flag("--chat", ga->chat, "render the prompt as a harmony chat (user message) and parse the output");
  gen->add_flag("--special", ga->special, "raw mode: parse special-token text such as <|start|> in the prompt");
  gen->add_option("--max-tokens", ga->max_tokens, "maximum new tokens")->check(CLI::Range(1, 1 << 20));
  gen->add_option("--temperature", ga->temperature, "sampling temperature (0: greedy)")->check(CLI::Range(0.0, 100.0));
  gen->add_option("--top-p", ga->top_p, "nucleus sampling mass")->check(CLI::Range(0.0, 1.0));
  gen->add_option("--seed", ga->seed, "RNG seed");
  gen->add_option("--path", ga->path, "numeric path: reference | fast")->check(CLI::IsMember({"reference", "fast"}));
  gen->add_option("--kv", ga->kv, "KV cache type: f32 | f16 | q8_0")->check(CLI::IsMember({"f32", "f16", "q8_0"}));
  gen->add_option("--ctx", ga->ctx, "context size in tokens")->check(CLI::Range(16, 1 << 20));
  gen->add_option("--threads", ga->threads, "worker threads (0: all cores)");
  gen->callback([ga, &exit_code] { exit_code = run_generate(*ga); });

  auto sa = std::make_shared<SynthArgs>();
  CLI::App* synth = model->add_subcommand("synth", "Write a synthetic gpt-oss GGUF (real layout, random weights)");
  synth->add_option("--preset", sa->preset, "tiny | gpt-oss-20b | gpt-oss-120b")
      ->check(CLI::IsMember({"tiny", "gpt-oss-20b", "gpt-oss-120b"}));
  synth->add_option("--seed", sa->seed, "RNG seed");
  synth->add_option("--out", sa->out, "output GGUF path")->required();
  synth->add_option("--vocab-from", sa->vocab_from, "GGUF whose tokenizer metadata is copied (default: the tiny fixture)");
  synth->callback([sa, &exit_code] { exit_code = run_synth(*sa); });

  add_model_text_commands(*model, exit_code);
}

}  // namespace sy::gateway::cli
