#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "model_fixture.hpp"
#include "sy/local_engine/gguf_writer.hpp"
#include "sy/local_engine/synth.hpp"

namespace sy::local_engine::model {
namespace {

using namespace testing;
namespace fs = std::filesystem;

fs::path temp_file(const std::string& name) {
  return fs::temp_directory_path() / ("sy_synth_" + std::to_string(::getpid()) + "_" + name);
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ModelSynth, PresetsHaveRealDimensions) {
  auto p20 = synth_preset("gpt-oss-20b");
  ASSERT_TRUE(p20);
  EXPECT_EQ(p20->n_layer, 24);
  EXPECT_EQ(p20->n_expert, 32);
  auto p120 = synth_preset("gpt-oss-120b");
  ASSERT_TRUE(p120);
  EXPECT_EQ(p120->n_layer, 36);
  EXPECT_EQ(p120->n_expert, 128);
  EXPECT_FALSE(synth_preset("gpt-oss-7b"));
}

TEST(ModelSynth, TinySynthLoadsRunsAndIsDeterministic) {
  const auto a = temp_file("a.gguf"), b = temp_file("b.gguf"), c = temp_file("c.gguf");
  const auto& vocab = tiny_model().file();
  auto preset = synth_preset("tiny");
  ASSERT_TRUE(preset);
  uint64_t last_done = 0, total = 0;
  ASSERT_TRUE(synthesize(*preset, 7, vocab, a.string(), [&](uint64_t d, uint64_t t) { last_done = d, total = t; }));
  EXPECT_EQ(last_done, total);
  ASSERT_TRUE(synthesize(*preset, 7, vocab, b.string()));
  ASSERT_TRUE(synthesize(*preset, 8, vocab, c.string()));
  const auto ba = read_all(a), bb = read_all(b), bc = read_all(c);
  EXPECT_EQ(ba, bb);
  EXPECT_NE(ba, bc);
  // Same layout as the fixture: same tensor bytes, same tokenizer.

  auto m = Model::load(a.string());
  ASSERT_TRUE(m) << m.error();
  EXPECT_EQ((*m)->file().tensors().size(), tiny_model().file().tensors().size());
  for (const auto& t : tiny_model().file().tensors()) {
    const auto* s = (*m)->file().tensor(t.name);
    ASSERT_NE(s, nullptr) << t.name;
    EXPECT_EQ(s->type, t.type) << t.name;
    EXPECT_EQ(s->ne, t.ne) << t.name;
  }
  EXPECT_EQ((*m)->file().get_string_array("tokenizer.ggml.merges"), vocab.get_string_array("tokenizer.ggml.merges"));
  EXPECT_EQ((*m)->file().get_int("tokenizer.ggml.eos_token_id"), 200002);

  Context ctx(**m, ContextOptions{64, KvType::kF32, NumericPath::kFast}, &test_pool());
  std::vector<float> logits;
  const auto prompts = prompt_tokens();
  ASSERT_TRUE(ctx.decode(prompts[5], true, logits));
  double sum_sq = 0;
  for (float v : logits) {
    ASSERT_TRUE(std::isfinite(v));
    sum_sq += double(v) * v;
  }
  const double rms = std::sqrt(sum_sq / logits.size());
  EXPECT_GT(rms, 0.5);  // weights are scaled so logits are O(1..10), like the fixture (std ~4)
  EXPECT_LT(rms, 50.0);
  fs::remove(a), fs::remove(b), fs::remove(c);
}

TEST(GgufWriter, RoundTripsMetadataAndTensors) {
  gguf::Writer w;
  w.set_u32("a.u32", 7);
  w.set_i32("a.i32", -3);
  w.set_f32("a.f32", 1.5f);
  w.set_bool("a.bool", true);
  w.set_string("a.str", "héllo");
  w.set_string_array("a.arr", {"x", "", "yz"});
  ASSERT_TRUE(w.copy_kv(tiny_model().file(), "tokenizer.ggml.token_type"));
  EXPECT_FALSE(w.copy_kv(tiny_model().file(), "no.such.key"));
  auto t0 = w.add_tensor("t0", gguf::TensorType::kQ8_0, {64, 3});
  auto t1 = w.add_tensor("t1", gguf::TensorType::kF32, {5});
  ASSERT_TRUE(t0 && t1);
  EXPECT_FALSE(w.add_tensor("bad", gguf::TensorType::kQ8_0, {33}));
  const auto path = temp_file("w.gguf");
  ASSERT_TRUE(w.write(path.string(), [](size_t t, uint64_t off, std::span<uint8_t> out) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(t * 100 + off + i);
  }));
  auto f = gguf::File::open(path.string());
  ASSERT_TRUE(f) << f.error();
  EXPECT_EQ((*f)->get_int("a.u32"), 7);
  EXPECT_EQ((*f)->get_int("a.i32"), -3);
  EXPECT_EQ((*f)->get_float("a.f32"), 1.5);
  EXPECT_EQ((*f)->get_int("a.bool"), 1);
  EXPECT_EQ((*f)->get_string("a.str"), "héllo");
  EXPECT_EQ((*f)->get_string_array("a.arr"), (std::vector<std::string_view>{"x", "", "yz"}));
  EXPECT_EQ((*f)->get_int_array("tokenizer.ggml.token_type"), tiny_model().file().get_int_array("tokenizer.ggml.token_type"));
  const auto* a = (*f)->tensor("t0");
  const auto* b = (*f)->tensor("t1");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->nbytes, 3u * 2u * 34u);
  EXPECT_EQ(a->data[5], 5);
  EXPECT_EQ(b->data[0], 100);
  EXPECT_EQ(b->data[19], 119);
  fs::remove(path);
}

}  // namespace
}  // namespace sy::local_engine::model
