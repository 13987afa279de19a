#pragma once
#include <memory>

#include "backends/backend.hpp"
#include "sy/cloud_client/client.hpp"

namespace sy::gateway {

// Forwards the client's request to an OpenAI-compatible upstream and relays
// SSE events one by one as they arrive.
class CloudBackend : public Backend {
 public:
  explicit CloudBackend(cloud_client::UpstreamOptions options);
  const std::string& name() const override { return name_; }
  std::function<void()> start(const EgressPermit& permit, const BackendCall& call, AttemptSink sink) override;
  std::vector<std::string> models() const override { return options_.models; }
  const cloud_client::UpstreamOptions& options() const { return options_; }

 private:
  std::string name_;
  cloud_client::UpstreamOptions options_;
  std::unique_ptr<cloud_client::Client> client_;
};

}  // namespace sy::gateway
