#include <gtest/gtest.h>

#include "sy/gateway/audit/chain.hpp"

namespace sy::gateway::audit {
namespace {

TEST(AuditChain, PlainHashIsSha256) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(ChainHasher().hex_digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ChainHasher().alg(), kAlgSha256);
}

TEST(AuditChain, KeyedHashIsHmacSha256) {
  // RFC 4231 test case 2.
  ChainHasher h("Jefe");
  EXPECT_TRUE(h.keyed());
  EXPECT_EQ(h.alg(), kAlgHmacSha256);
  EXPECT_EQ(h.hex_digest("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AuditChain, SealedLineCarriesChainFieldsAndHashOfItsBody) {
  ChainHasher h;
  std::string prev(64, 'a');
  Sealed s = seal({{"request_id", "r1"}, {"status", 200}}, 7, prev, h);
  auto j = nlohmann::json::parse(s.line);
  EXPECT_EQ(j["seq"], 7);
  EXPECT_EQ(j["prev"], prev);
  EXPECT_EQ(j["alg"], "sha256");
  EXPECT_EQ(j["hash"], s.hash);
  EXPECT_EQ(j["request_id"], "r1");
  auto u = unseal(s.line);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->hash, s.hash);
  EXPECT_EQ(h.hex_digest(u->body), s.hash);
  EXPECT_FALSE(nlohmann::json::parse(u->body).contains("hash"));
}

TEST(AuditChain, SealReplacesAStaleHashMember) {
  Sealed s = seal({{"hash", "forged"}, {"x", 1}}, 0, kGenesisPrev, ChainHasher());
  EXPECT_EQ(s.line.find("forged"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(s.line)["hash"], s.hash);
}

TEST(AuditChain, SealToleratesInvalidUtf8) {
  nlohmann::json rec = {{"model", std::string("bad\xff\xfe")}};
  Sealed s = seal(rec, 0, kGenesisPrev, ChainHasher());
  EXPECT_TRUE(nlohmann::json::accept(s.line));
}

TEST(AuditChain, UnsealRejectsLinesWithoutAWellFormedHash) {
  EXPECT_FALSE(unseal(R"({"seq":0})").has_value());
  EXPECT_FALSE(unseal(R"({"seq":0,"hash":"abc"})").has_value());
  std::string upper = seal({{"x", 1}}, 0, kGenesisPrev, ChainHasher()).line;
  upper[upper.size() - 3] = 'G';  // not lower-case hex
  EXPECT_FALSE(unseal(upper).has_value());
}

}  // namespace
}  // namespace sy::gateway::audit
