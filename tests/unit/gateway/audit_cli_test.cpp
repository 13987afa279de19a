#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "audit_test_util.hpp"
#include "sy/gateway/audit/files.hpp"

namespace sy::gateway::cli {
void add_audit_commands(CLI::App& app, int& exit_code);  // gateway/src/cli/commands.hpp
}

namespace sy::gateway::audit {
namespace {
using namespace testing;

struct CliRun {
  int code = -1;
  std::string out;
  std::string err;
};

CliRun run_cli(std::vector<std::string> args) {
  CLI::App app("switchyard");
  CliRun run;
  cli::add_audit_commands(app, run.code);
  args.insert(args.begin(), "switchyard");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    run.code = app.exit(e) == 0 ? 0 : 2;
  }
  run.out = ::testing::internal::GetCapturedStdout();
  run.err = ::testing::internal::GetCapturedStderr();
  return run;
}

class AuditCli : public ::testing::Test {
 protected:
  void write_chain(const std::string& key = {}, size_t rotate_bytes = 0) {
    auto o = options_for(path_);
    o.hmac_key = key;
    o.rotate_bytes = rotate_bytes;
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value());
    append_n(**log, 8);
  }
  TempDir dir_;
  std::string path_ = dir_.file("audit.jsonl");
};

TEST_F(AuditCli, VerifyPassesAnIntactChainGivenInAnyOrder) {
  write_chain({}, 1500);
  std::vector<std::string> args = {"audit", "verify"};
  auto files = chain_files(path_);
  ASSERT_GE(files.size(), 2u);
  for (auto it = files.rbegin(); it != files.rend(); ++it) args.push_back(it->string());
  auto run = run_cli(args);
  EXPECT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.rfind("ok: 8 records in " + std::to_string(files.size()) + " file(s)", 0), 0u) << run.out;
}

TEST_F(AuditCli, VerifyNamesTheBrokenLineAndExitsOne) {
  write_chain();
  auto lines = read_lines(path_);
  lines.erase(lines.begin() + 4);
  write_lines(path_, lines);
  auto run = run_cli({"audit", "verify", path_});
  EXPECT_EQ(run.code, 1);
  EXPECT_EQ(run.out.rfind(path_ + ":5: seq gap", 0), 0u) << run.out;
}

TEST_F(AuditCli, VerifyTakesTheKeyFromEnvOrFile) {
  write_chain("cli-test-key");
  EXPECT_EQ(run_cli({"audit", "verify", path_}).code, 1);  // keyed chain, no key
  ::setenv("SY_AUDIT_CLI_TEST_KEY", "cli-test-key", 1);
  EXPECT_EQ(run_cli({"audit", "verify", path_, "--key-env", "SY_AUDIT_CLI_TEST_KEY"}).code, 0);
  ::unsetenv("SY_AUDIT_CLI_TEST_KEY");
  EXPECT_EQ(run_cli({"audit", "verify", path_, "--key-env", "SY_AUDIT_CLI_TEST_KEY"}).code, 2);
  const auto key_file = dir_.file("key");
  write_lines(key_file, {"cli-test-key"});  // trailing newline is trimmed
  EXPECT_EQ(run_cli({"audit", "verify", path_, "--key-file", key_file}).code, 0);
  write_lines(key_file, {"wrong-key"});
  EXPECT_EQ(run_cli({"audit", "verify", path_, "--key-file", key_file}).code, 1);
}

TEST_F(AuditCli, TornTailWarnsUnlessStrict) {
  write_chain();
  std::ofstream(path_, std::ios::binary | std::ios::app) << "{\"partial";
  auto lenient = run_cli({"audit", "verify", path_});
  EXPECT_EQ(lenient.code, 0);
  EXPECT_NE(lenient.err.find("incomplete last line"), std::string::npos) << lenient.err;
  EXPECT_EQ(run_cli({"audit", "verify", "--strict", path_}).code, 1);
}

TEST_F(AuditCli, SummaryPrintsJson) {
  write_chain();
  auto run = run_cli({"audit", "summary", "--json", path_});
  ASSERT_EQ(run.code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["records"], 8);
  EXPECT_EQ(j["by_target"]["local"], 8);
  auto text = run_cli({"audit", "summary", path_});
  EXPECT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("8 requests"), std::string::npos) << text.out;
  EXPECT_EQ(run_cli({"audit", "summary", dir_.file("missing.jsonl")}).code, 1);
}

}  // namespace
}  // namespace sy::gateway::audit
