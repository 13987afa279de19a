#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "model_fixture.hpp"

namespace sy::local_engine::model {
namespace {

using namespace testing;

std::vector<uint8_t> tiny_bytes() {
  std::ifstream in(tiny_dir() + "tiny-gpt-oss.gguf", std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Replaces the first occurrence of `from` by `to` (same length) in the GGUF bytes.
std::vector<uint8_t> patched(std::string_view from, std::string_view to) {
  auto b = tiny_bytes();
  auto it = std::search(b.begin(), b.end(), from.begin(), from.end());
  EXPECT_NE(it, b.end()) << from;
  if (it != b.end()) std::memcpy(&*it, to.data(), to.size());
  return b;
}

std::string load_error(std::vector<uint8_t> bytes) {
  auto f = gguf::File::from_bytes(std::move(bytes));
  if (!f) return "gguf: " + f.error();
  auto m = Model::load(std::shared_ptr<const gguf::File>(std::move(*f)));
  return m ? std::string() : m.error();
}

TEST(ModelHparams, TinyFixtureValues) {
  const auto& hp = tiny_model().hparams();
  EXPECT_EQ(hp.n_vocab, 201088);
  EXPECT_EQ(hp.n_embd, 64);
  EXPECT_EQ(hp.n_layer, 4);
  EXPECT_EQ(hp.n_head, 4);
  EXPECT_EQ(hp.n_head_kv, 2);
  EXPECT_EQ(hp.head_dim, 16);
  EXPECT_EQ(hp.n_expert, 8);
  EXPECT_EQ(hp.n_expert_used, 2);
  EXPECT_EQ(hp.n_ff_exp, 64);
  EXPECT_EQ(hp.n_swa, 8);
  EXPECT_TRUE(hp.yarn);
  EXPECT_EQ(hp.n_ctx_orig, 4096);
  EXPECT_FLOAT_EQ(hp.rope_freq_scale, 1.0f / 32.0f);
  EXPECT_FLOAT_EQ(hp.rope_base, 150000.0f);
  EXPECT_TRUE(hp.is_swa(0));
  EXPECT_FALSE(hp.is_swa(1));
  EXPECT_TRUE(hp.is_swa(2));
  EXPECT_FALSE(hp.is_swa(3));
}

TEST(ModelHparams, RejectsOtherArchitecture) {
  // The value "gpt-oss" follows its key; patch the value (same length) to another arch.
  auto err = load_error(patched(std::string_view("\x07\0\0\0\0\0\0\0gpt-oss", 15), std::string_view("\x07\0\0\0\0\0\0\0llama_x", 15)));
  EXPECT_NE(err.find("unsupported architecture 'llama_x'"), std::string::npos) << err;
}

TEST(ModelHparams, RejectsMissingRequiredKeys) {
  for (std::string key : {"gpt-oss.rope.scaling.original_context_length", "gpt-oss.attention.key_length",
                          "gpt-oss.attention.sliding_window"}) {
    std::string renamed = key;
    renamed.back() = 'X';
    auto err = load_error(patched(key, renamed));
    EXPECT_NE(err.find(key), std::string::npos) << key << " -> " << err;
  }
}

TEST(ModelHparams, RejectsWrongTensorShape) {
  // Rename a tensor so it is missing.
  auto err = load_error(patched("blk.1.attn_sinks.weight", "blk.1.attn_sinkz.weight"));
  EXPECT_NE(err.find("missing tensor 'blk.1.attn_sinks.weight'"), std::string::npos) << err;
}

TEST(ModelHparams, ParsesOptions) {
  EXPECT_EQ(parse_numeric_path("fast"), NumericPath::kFast);
  EXPECT_EQ(parse_numeric_path("reference"), NumericPath::kReference);
  EXPECT_FALSE(parse_numeric_path("turbo"));
  EXPECT_EQ(parse_kv_type("f16"), KvType::kF16);
  EXPECT_FALSE(parse_kv_type("q4"));
}

}  // namespace
}  // namespace sy::local_engine::model
