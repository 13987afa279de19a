// Robustness: arbitrary input never crashes, spans stay inside the text, and
// concurrent classification gives the same answers as sequential.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "test_helpers.hpp"

namespace sy::router::testing {
namespace {

int64_t code_points(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST(Robustness, RandomInputsKeepSpansInBounds) {
  std::mt19937 rng(42);
  const std::vector<std::string> pieces = {
      "4526 0181 5908 3012", "+44 7911 123456", "a@b.co", "::", "1.2.3.4", "密码：", "password=", "-----BEGIN ",
      "PRIVATE KEY-----", "sk-", "AKIA", "Bearer ", "Patient ", "诊断", " mg", "CONFIDENTIAL", "\n", "（", "４", "\u200b",
      "🎉", "é", "IBAN DE", "89", "(", ")", "-", ".", " ", "://u:p@h", "eyJ", "."};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s;
    int n = std::uniform_int_distribution<int>(0, 40)(rng);
    for (int k = 0; k < n; ++k) s += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
    auto c = classify_text(s);
    ASSERT_FALSE(c.fail_closed) << s;
    const int64_t cps = code_points(s);
    for (const auto& f : c.findings) {
      ASSERT_LE(0, f.start);
      ASSERT_LT(f.start, f.end) << s;
      ASSERT_LE(f.end, cps) << s;
    }
  }
}

TEST(Robustness, RandomBytesFailClosedOrClassify) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string s(std::uniform_int_distribution<size_t>(0, 300)(rng), '\0');
    for (auto& ch : s) ch = static_cast<char>(rng());
    auto c = classify_text(s);
    if (c.fail_closed) {
      EXPECT_TRUE(c.sensitive);
    }
  }
}

TEST(Robustness, ConcurrentClassificationMatchesSequential) {
  std::vector<std::string> texts = {
      "mail jessica_moreno@web.de", "card 4526 0181 5908 3012", "just a haiku about snow",
      "DB_PASSWORD=Tr0ub4dor&3", "STRICTLY CONFIDENTIAL\nmemo", "身份证号：440305199003151236"};
  std::vector<size_t> expected;
  for (const auto& t : texts) expected.push_back(classify_text(t).findings.size());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        for (size_t k = 0; k < texts.size(); ++k)
          if (classify_text(texts[k]).findings.size() != expected[k]) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace sy::router::testing

namespace sy::router::testing {
namespace {

// Pathological megabyte prompts must finish (linear work): many findings,
// many triggers, one endless line.
TEST(Robustness, PathologicalLargeInputsFinish) {
  std::string emails, cues, keys;
  while (emails.size() < (1u << 20)) emails += "ab@cd.io ";
  while (cues.size() < (1u << 20)) cues += "diagnosed with mg ";
  while (keys.size() < (1u << 20)) keys += "key token secret password= ";
  auto e = classify_text(emails);
  EXPECT_GT(e.findings.size(), 100000u);
  EXPECT_FALSE(classify_text(cues).fail_closed);
  EXPECT_FALSE(classify_text(keys).sensitive);
}

}  // namespace
}  // namespace sy::router::testing
