// BPE merge order and vocabulary validation on tiny hand-made vocabularies,
// where the right answer can be worked out by hand.
#include <gtest/gtest.h>

#include <thread>

#include "sy/local_engine/tokenizer.hpp"
#include "tokenizer_support.hpp"

namespace sy::local_engine {
namespace {

// GPT-2 byte-to-unicode spelling, written out independently of the library.
std::string spell(std::string_view raw) {
  std::string out;
  for (unsigned char b : raw) {
    int cp = b;
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    if (!printable) {
      int n = 0;
      for (int x = 0; x < b; ++x) {
        const bool p = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE);
        if (!p) ++n;
      }
      cp = 256 + n;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// 256 byte tokens (id = byte value) + extra tokens + merges, all owned here.
struct TinyVocab {
  std::vector<std::string> tokens;
  std::vector<std::string> merges;
  std::vector<int64_t> types;
  TinyVocab() {
    for (int b = 0; b < 256; ++b) tokens.push_back(spell(std::string(1, static_cast<char>(b))));
    types.assign(256, 1);
  }
  int32_t add(const std::string& raw, int64_t type = 1) {
    tokens.push_back(type == 1 ? spell(raw) : raw);
    types.push_back(type);
    return static_cast<int32_t>(tokens.size() - 1);
  }
  void merge(const std::string& a, const std::string& b) { merges.push_back(spell(a) + " " + spell(b)); }
  std::expected<std::unique_ptr<Tokenizer>, std::string> build(std::string pre = "gpt-4o") const {
    VocabData v;
    for (const auto& t : tokens) v.tokens.push_back(t);
    for (const auto& m : merges) v.merges.push_back(m);
    v.token_types = types;
    v.pre = std::move(pre);
    return Tokenizer::from_vocab(v);
  }
};

TEST(TokenizerBpe, LowestRankMergesFirst) {
  TinyVocab v;
  const int32_t ab = v.add("ab"), bc = v.add("bc"), abc = v.add("abc");
  v.merge("a", "b");   // rank 0
  v.merge("b", "c");   // rank 1
  v.merge("ab", "c");  // rank 2
  auto tok = v.build();
  ASSERT_TRUE(tok.has_value()) << tok.error();
  // "abcd" is no token: a+b first (rank 0), then ab+c.
  EXPECT_EQ((*tok)->encode("abcd"), (std::vector<int32_t>{abc, 'd'}));
  EXPECT_EQ((*tok)->encode("bcd"), (std::vector<int32_t>{bc, 'd'}));
  EXPECT_EQ((*tok)->encode("abab"), (std::vector<int32_t>{ab, ab}));

  TinyVocab w;
  const int32_t w_bc = w.add("bc");
  w.add("ab");
  w.merge("b", "c");  // rank 0 now: "abcd" -> a, bc, d and "a bc" is no merge
  w.merge("a", "b");
  auto tok2 = w.build();
  ASSERT_TRUE(tok2.has_value()) << tok2.error();
  EXPECT_EQ((*tok2)->encode("abcd"), (std::vector<int32_t>{'a', w_bc, 'd'}));
}

TEST(TokenizerBpe, EqualPairsMergeLeftmostFirst) {
  TinyVocab v;
  const int32_t aa = v.add("aa");
  v.merge("a", "a");
  auto tok = v.build();
  ASSERT_TRUE(tok.has_value()) << tok.error();
  EXPECT_EQ((*tok)->encode("aaa"), (std::vector<int32_t>{aa, 'a'}));
  EXPECT_EQ((*tok)->encode("aaaaa"), (std::vector<int32_t>{aa, aa, 'a'}));
}

TEST(TokenizerBpe, WholePieceInVocabularySkipsMerging) {
  // tiktoken looks a whole pre-token up before merging: "xyz" is a token
  // even though no merge chain reaches it.
  TinyVocab v;
  const int32_t xyz = v.add("xyz");
  v.add("xy");
  v.merge("x", "y");
  auto tok = v.build();
  ASSERT_TRUE(tok.has_value()) << tok.error();
  EXPECT_EQ((*tok)->encode("xyz"), (std::vector<int32_t>{xyz}));
}

TEST(TokenizerBpe, SpecialsOnlyWhenAsked) {
  TinyVocab v;
  const int32_t stop = v.add("<|stop|>", 3);
  auto tok = v.build();
  ASSERT_TRUE(tok.has_value()) << tok.error();
  EXPECT_EQ((*tok)->encode("a<|stop|>", true), (std::vector<int32_t>{'a', stop}));
  const auto plain = (*tok)->encode("a<|stop|>", false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), stop), 0);
  EXPECT_EQ((*tok)->decode(plain), "a<|stop|>");
  EXPECT_TRUE((*tok)->is_eog(stop) == false);  // not an end-of-generation name, no eos id given
}

TEST(TokenizerBpe, RejectsUnsupportedOrBrokenVocabularies) {
  TinyVocab v;
  auto bad_pre = v.build("llama-bpe");
  ASSERT_FALSE(bad_pre.has_value());
  EXPECT_NE(bad_pre.error().find("llama-bpe"), std::string::npos);

  VocabData model;
  model.model = "llama";
  model.tokens = {"a"};
  EXPECT_FALSE(Tokenizer::from_vocab(model).has_value());

  VocabData missing_bytes;
  missing_bytes.tokens = {"a", "b"};
  auto r = Tokenizer::from_vocab(missing_bytes);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("single-byte"), std::string::npos);

  TinyVocab bad_merge = v;
  bad_merge.merges.push_back("nospace");
  EXPECT_FALSE(bad_merge.build().has_value());

  TinyVocab bad_types = v;
  bad_types.types.pop_back();
  EXPECT_FALSE(bad_types.build().has_value());

  TinyVocab bad_spelling = v;
  bad_spelling.tokens.push_back("\xe4\xbd\xa0");  // a code point the byte mapping never uses
  bad_spelling.types.push_back(1);
  EXPECT_FALSE(bad_spelling.build().has_value());
}

TEST(TokenizerBpe, ConcurrentEncodesAgree) {
  const Tokenizer& tok = test::gpt_oss_tokenizer();
  const std::string text = "Concurrency test: 今天天气很好 🤖 def f(x): return x * 2\n";
  const auto want = tok.encode(text);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (tok.encode(text) != want) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace sy::local_engine
