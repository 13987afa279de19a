#include "gateway_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "test_pki.hpp"

namespace sy::test {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& args, int stdin_fd, int stdout_fd, int stderr_fd,
            const std::vector<std::pair<std::string, std::string>>& env) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(stdin_fd, 0);
    dup2(stdout_fd, 1);
    dup2(stderr_fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(SY_SWITCHYARD_BIN));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(SY_SWITCHYARD_BIN, argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

GatewayProcess::GatewayProcess(const std::string& yaml, std::vector<std::pair<std::string, std::string>> env) {
  dir_ = make_temp_dir("sy-gw");
  config_path_ = dir_ + "/switchyard.yaml";
  stderr_path_ = dir_ + "/stderr.log";
  std::ofstream(config_path_) << yaml;
  int out_pipe[2];
  if (pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  int devnull = open("/dev/null", O_RDONLY);
  int err_fd = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_ = spawn({"serve", "--config", config_path_}, devnull, out_pipe[1], err_fd, env);
  close(out_pipe[1]);
  close(devnull);
  close(err_fd);
  // Read stdout until the "listening on" line (or the child dies / 60 s pass).
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out_pipe[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) {
      char buf[512];
      ssize_t n = read(out_pipe[0], buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, n);
      auto pos = out.find("listening on http://");
      if (pos != std::string::npos) {
        auto colon = out.find(':', pos + 20);
        auto eol = out.find('\n', pos);
        if (colon != std::string::npos && eol != std::string::npos) {
          port_ = static_cast<uint16_t>(std::stoi(out.substr(colon + 1, eol - colon - 1)));
          break;
        }
      }
    }
  }
  close(out_pipe[0]);
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::string GatewayProcess::stderr_text() const { return read_file(stderr_path_); }

void GatewayProcess::signal(int sig) {
  if (pid_ > 0 && !exited_) kill(pid_, sig);
}

int GatewayProcess::wait(std::chrono::milliseconds timeout) {
  if (exited_) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

RunResult run_switchyard(const std::vector<std::string>& args, const std::string& stdin_text,
                         std::chrono::milliseconds timeout) {
  std::string dir = make_temp_dir("sy-cli");
  std::string in_path = dir + "/stdin", out_path = dir + "/stdout", err_path = dir + "/stderr";
  std::ofstream(in_path) << stdin_text;
  int in_fd = open(in_path.c_str(), O_RDONLY);
  int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = spawn(args, in_fd, out_fd, err_fd, {});
  close(in_fd);
  close(out_fd);
  close(err_fd);
  RunResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int st = 0;
  while (true) {
    pid_t w = waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  return r;
}

}  // namespace sy::test
