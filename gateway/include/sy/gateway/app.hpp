#pragma once
// The running gateway: HTTP server + routing + targets, built from a Config.
#include <cstdint>
#include <memory>

#include "sy/config/config.hpp"

namespace sy::gateway {

class App {
 public:
  // Throws std::runtime_error when a target cannot be set up (e.g. model load).
  explicit App(config::Config config);
  ~App();

  uint16_t start();  // binds; returns the bound port
  void run();        // serves until shutdown() completes; blocks
  void shutdown();   // stop accepting, drain in-flight requests (grace from config)

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sy::gateway
