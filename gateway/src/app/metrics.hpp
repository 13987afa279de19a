#pragma once
// Prometheus text exposition for GET /metrics: request counts by route and
// status, breaker states, local engine load, audit writer progress.
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace sy::gateway {

struct AppState;

class RequestCounters {
 public:
  void count(const std::string& route, int status) {
    std::lock_guard lock(mu_);
    ++counts_[{route, status}];
  }
  std::map<std::pair<std::string, int>, unsigned long long> snapshot() const {
    std::lock_guard lock(mu_);
    return counts_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, unsigned long long> counts_;
};

std::string render_metrics(const AppState& app);

}  // namespace sy::gateway
