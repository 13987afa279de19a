// A real third-party HTTP client (curl) against the real binary: SSE framing,
// Expect: 100-continue on large bodies, and the 413 path as curl sees it.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "fake_cloud.hpp"
#include "gateway_process.hpp"
#include "http_client.hpp"
#include "test_pki.hpp"

namespace sy::test {
namespace {

using nlohmann::json;

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  pclose(p);
  return out;
}

class CurlClient : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "curl is not installed";
    cloud_.set_script([](const std::string& body) {
      return body.find("\"stream\":true") != std::string::npos ? FakeReply::stream_ok(4) : FakeReply::json_ok();
    });
    gw_ = std::make_unique<GatewayProcess>(
        "listen: 127.0.0.1:0\nserver: { body_limit_bytes: 4194304 }\n"
        "cloud: { base_url: " + cloud_.base_url() + ", ca_file: " + TestPki::get().ca_cert + ", models: [gpt-fake] }\n");
    ASSERT_TRUE(gw_->started()) << gw_->stderr_text();
    dir_ = make_temp_dir("sy-curl");
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(gw_->port()) + "/v1/chat/completions"; }
  std::string write_body(const std::string& name, const json& body) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << body.dump();
    return path;
  }

  FakeCloud cloud_;
  std::unique_ptr<GatewayProcess> gw_;
  std::string dir_;
};

TEST_F(CurlClient, StreamsServerSentEvents) {
  auto body = write_body("stream.json", {{"model", "gpt-fake"}, {"stream", true},
                                         {"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  std::string out = run("curl -sS -N -H 'Content-Type: application/json' --data-binary @" + body + " " + url());
  auto events = sse_data(out);
  ASSERT_GE(events.size(), 5u) << out;
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_NE(events[0].find("tok0"), std::string::npos);
}

TEST_F(CurlClient, LargeBodyWithExpectContinue) {
  std::string big(2 << 20, 'x');  // curl sends Expect: 100-continue for bodies over 1 MB
  auto body = write_body("big.json", {{"model", "gpt-fake"}, {"messages", {{{"role", "user"}, {"content", big}}}}});
  std::string out = run("curl -sS -w '\\n%{http_code}' -H 'Content-Type: application/json' -H 'Expect: 100-continue' "
                        "--data-binary @" + body + " " + url());
  EXPECT_EQ(out.substr(out.rfind('\n') + 1), "200") << out.substr(0, 300);
  EXPECT_EQ(cloud_.requests(), 1);
}

TEST_F(CurlClient, OversizedBodyGets413) {
  std::string huge(5 << 20, 'x');
  auto body = write_body("huge.json", {{"model", "gpt-fake"}, {"messages", {{{"role", "user"}, {"content", huge}}}}});
  std::string out = run("curl -sS -w '\\n%{http_code}' -H 'Content-Type: application/json' --data-binary @" + body +
                        " " + url() + " 2>/dev/null");
  EXPECT_EQ(out.substr(out.rfind('\n') + 1), "413") << out.substr(0, 300);
  EXPECT_EQ(cloud_.requests(), 0);
}

}  // namespace
}  // namespace sy::test
