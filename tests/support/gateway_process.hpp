#pragma once
// Runs the real `switchyard` binary as a child process on 127.0.0.1:0 and
// learns its port from the startup line it prints.
#include <chrono>
#include <string>
#include <vector>

namespace sy::test {

class GatewayProcess {
 public:
  // Writes `yaml` to a temp file and runs `switchyard serve --config FILE`.
  explicit GatewayProcess(const std::string& yaml, std::vector<std::pair<std::string, std::string>> env = {});
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  bool started() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  int pid() const { return pid_; }
  const std::string& config_path() const { return config_path_; }
  std::string stderr_text() const;  // the access log and errors so far

  void signal(int sig);
  // Waits for exit; returns the exit status (or -1 on timeout).
  int wait(std::chrono::milliseconds timeout);

 private:
  int pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;
  std::string config_path_;
  std::string stderr_path_;
  bool exited_ = false;
  int status_ = 0;
};

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `switchyard ARGS...` to completion with optional stdin; for CLI tests.
RunResult run_switchyard(const std::vector<std::string>& args, const std::string& stdin_text = "",
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace sy::test
