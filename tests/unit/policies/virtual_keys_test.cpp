#include "sy/policies/virtual_keys.hpp"

#include <gtest/gtest.h>

namespace sy::policies {
namespace {

// FIPS 180-2 test vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Bearer, Parsing) {
  EXPECT_EQ(parse_bearer("Bearer sk-abc"), "sk-abc");
  EXPECT_EQ(parse_bearer("  bearer   sk-abc  "), "sk-abc");
  EXPECT_EQ(parse_bearer("BEARER\tsk-abc"), "sk-abc");
  EXPECT_FALSE(parse_bearer("Basic dXNlcjpwYXNz").has_value());
  EXPECT_FALSE(parse_bearer("Bearer").has_value());
  EXPECT_FALSE(parse_bearer("Bearer   ").has_value());
  EXPECT_FALSE(parse_bearer("Bearersk-abc").has_value());
  EXPECT_FALSE(parse_bearer("").has_value());
}

AuthOptions two_keys(bool required) {
  AuthOptions a;
  a.required = required;
  KeyOptions k1;
  k1.id = "team-a";
  k1.key_sha256 = sha256_hex("sk-team-a-secret");
  k1.allowed_models = {"auto", "gpt-4o-mini"};
  k1.allowed_targets = {"local"};
  k1.budget_usd_per_day = 5;
  k1.requests_per_minute = 60;
  KeyOptions k2;
  k2.id = "team-b";
  k2.key_sha256 = sha256_hex("sk-team-b-secret");
  a.keys = {k1, k2};
  return a;
}

TEST(KeyStore, AuthenticatesByHash) {
  auto store = KeyStore::create(two_keys(true));
  ASSERT_TRUE(store.has_value()) << store.error();
  auto a = store->authenticate("Bearer sk-team-a-secret");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ((*a)->id, "team-a");
  EXPECT_EQ((*a)->budget_usd_per_day, 5.0);
  EXPECT_EQ((*a)->requests_per_minute, 60);
  auto b = store->authenticate("Bearer sk-team-b-secret");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ((*b)->id, "team-b");
}

TEST(KeyStore, MissingAndUnknownKeysAre401WhenRequired) {
  auto store = KeyStore::create(two_keys(true));
  ASSERT_TRUE(store.has_value());
  auto missing = store->authenticate(std::nullopt);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error(), AuthError::kMissingKey);
  EXPECT_EQ(http_status(missing.error()), 401);
  auto basic = store->authenticate("Basic abc");
  ASSERT_FALSE(basic.has_value());
  EXPECT_EQ(basic.error(), AuthError::kMissingKey);
  auto unknown = store->authenticate("Bearer sk-team-a-secreT");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error(), AuthError::kUnknownKey);
  EXPECT_EQ(http_status(unknown.error()), 401);
  // The presented key never appears in the message.
  EXPECT_EQ(std::string(message(unknown.error())).find("sk-"), std::string::npos);
}

TEST(KeyStore, NotRequiredFallsBackToAnonymous) {
  auto store = KeyStore::create(two_keys(false));
  ASSERT_TRUE(store.has_value());
  auto anon = store->authenticate("Bearer sk-whatever-the-sdk-sends");
  ASSERT_TRUE(anon.has_value());
  EXPECT_TRUE((*anon)->anonymous());
  EXPECT_TRUE((*anon)->allows_model("anything"));
  auto none = store->authenticate(std::nullopt);
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE((*none)->anonymous());
  auto known = store->authenticate("Bearer sk-team-a-secret");
  ASSERT_TRUE(known.has_value());
  EXPECT_EQ((*known)->id, "team-a");  // a known key keeps its limits
}

TEST(KeyStore, ModelAndTargetRestrictionsAre403) {
  auto store = KeyStore::create(two_keys(true));
  ASSERT_TRUE(store.has_value());
  TenantPtr a = *store->authenticate("Bearer sk-team-a-secret");
  EXPECT_TRUE(store->authorize_model(*a, "gpt-4o-mini").has_value());
  auto denied = store->authorize_model(*a, "gpt-4o");
  ASSERT_FALSE(denied.has_value());
  EXPECT_EQ(denied.error(), AuthError::kModelNotAllowed);
  EXPECT_EQ(http_status(denied.error()), 403);
  EXPECT_EQ(http_status(AuthError::kTargetNotAllowed), 403);
  EXPECT_EQ(a->filter_targets({"cloud", "local"}), std::vector<std::string>{"local"});
  TenantPtr b = *store->authenticate("Bearer sk-team-b-secret");
  EXPECT_EQ(b->filter_targets({"cloud", "local"}), (std::vector<std::string>{"cloud", "local"}));
  EXPECT_TRUE(store->authorize_model(*b, "gpt-4o").has_value());
}

TEST(KeyStore, UpperCaseHexIsAccepted) {
  AuthOptions a;
  a.required = true;
  KeyOptions k;
  k.id = "x";
  k.key_sha256 = sha256_hex("sk-x");
  for (auto& c : k.key_sha256) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  a.keys = {k};
  auto store = KeyStore::create(a);
  ASSERT_TRUE(store.has_value());
  EXPECT_TRUE(store->authenticate("Bearer sk-x").has_value());
}

TEST(KeyStore, RejectsBadConfiguration) {
  AuthOptions bad = two_keys(true);
  bad.keys[0].key_sha256 = "sk-team-a-secret";  // the key itself, not its hash
  EXPECT_FALSE(KeyStore::create(bad).has_value());
  bad = two_keys(true);
  bad.keys[0].key_sha256[5] = 'g';
  EXPECT_FALSE(KeyStore::create(bad).has_value());
  bad = two_keys(true);
  bad.keys[1].id = "team-a";
  EXPECT_FALSE(KeyStore::create(bad).has_value());
  bad = two_keys(true);
  bad.keys[1].key_sha256 = bad.keys[0].key_sha256;
  EXPECT_FALSE(KeyStore::create(bad).has_value());
}

}  // namespace
}  // namespace sy::policies
