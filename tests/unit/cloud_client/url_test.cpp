#include <gtest/gtest.h>

#include "../../../cloud_client/src/url.hpp"

namespace sy::cloud_client::detail {
namespace {

TEST(Url, ParsesSchemeHostPortAndPrefix) {
  auto u = parse_url("https://api.openai.com/v1/");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "api.openai.com");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->path_prefix, "/v1");
  auto p = parse_url("http://10.0.0.5:8000");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->tls);
  EXPECT_EQ(p->port, "8000");
  EXPECT_EQ(p->path_prefix, "");
  auto v6 = parse_url("https://[::1]:8443/openai/v1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "8443");
  EXPECT_EQ(v6->path_prefix, "/openai/v1");
}

TEST(Url, RejectsMalformed) {
  for (const char* bad : {"ftp://x", "https://", "https://host:abc/", "https://[::1", "api.openai.com"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

}  // namespace
}  // namespace sy::cloud_client::detail
