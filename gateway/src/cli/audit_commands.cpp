#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.hpp"
#include "sy/gateway/audit/files.hpp"
#include "sy/gateway/audit/summary.hpp"
#include "sy/gateway/audit/verify.hpp"

namespace sy::gateway::cli {
namespace {

struct VerifyArgs {
  std::vector<std::string> files;
  std::string key_env;
  std::string key_file;
  bool strict = false;
};

struct SummaryArgs {
  std::vector<std::string> files;
  bool json = false;
};

// Same trimming as the config's { file: PATH } secrets, so one key file serves both.
bool read_key(const VerifyArgs& a, std::string& key) {
  if (!a.key_env.empty()) {
    const char* v = std::getenv(a.key_env.c_str());
    if (!v || !*v) {
      std::cerr << "audit verify: environment variable " << a.key_env << " is not set\n";
      return false;
    }
    key = v;
  } else if (!a.key_file.empty()) {
    std::ifstream in(a.key_file, std::ios::binary);
    if (!in) {
      std::cerr << "audit verify: cannot read key file " << a.key_file << "\n";
      return false;
    }
    key.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r' || key.back() == ' ')) key.pop_back();
  }
  return true;
}

int run_verify(const VerifyArgs& a) {
  audit::VerifyOptions options;
  options.strict_tail = a.strict;
  if (!read_key(a, options.hmac_key)) return 2;
  const auto report = audit::verify(audit::order_by_first_seq(a.files), options);
  for (const auto& w : report.warnings) std::cerr << "warning: " << w << "\n";
  std::cout << audit::format_report(report) << "\n";
  return report.ok ? 0 : 1;
}

int run_summary(const SummaryArgs& a) {
  auto s = audit::summarize(a.files);
  if (!s) {
    std::cerr << "audit summary: " << s.error() << "\n";
    return 1;
  }
  if (a.json) {
    std::cout << audit::to_json(*s).dump(2) << "\n";
  } else {
    std::cout << audit::format_text(*s);
  }
  return 0;
}

}  // namespace

void add_audit_commands(CLI::App& app, int& exit_code) {
  auto* audit_cmd = app.add_subcommand("audit", "Verify and summarise the tamper-evident audit log");
  audit_cmd->require_subcommand(1);

  auto verify_args = std::make_shared<VerifyArgs>();
  auto* verify = audit_cmd->add_subcommand(
      "verify", "Check the hash chain over FILE... (any order); exit 0 with a summary, 1 with FILE:LINE: why");
  verify->add_option("files", verify_args->files, "audit files (rotated files and the active one)")->required();
  auto* key_env = verify->add_option("--key-env", verify_args->key_env, "environment variable holding the audit key");
  verify->add_option("--key-file", verify_args->key_file, "file holding the audit key")->excludes(key_env);
  verify->add_flag("--strict", verify_args->strict, "fail on an incomplete last line instead of warning");
  verify->callback([verify_args, &exit_code] { exit_code = run_verify(*verify_args); });

  auto summary_args = std::make_shared<SummaryArgs>();
  auto* summary = audit_cmd->add_subcommand(
      "summary", "Requests by target, rule, reason, entity type and status; total cost (does not verify)");
  summary->add_option("files", summary_args->files, "audit files")->required();
  summary->add_flag("--json", summary_args->json, "print JSON");
  summary->callback([summary_args, &exit_code] { exit_code = run_summary(*summary_args); });
}

}  // namespace sy::gateway::cli
