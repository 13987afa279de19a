#pragma once
// All built-in and custom detectors, compiled once per Router. One Hyperscan
// pass over the normalised text finds every trigger literal/regex; the
// hand-written scanners handle digit groups, e-mail and IBAN shapes.
#include <hs/hs.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/common.hpp"
#include "detect/scanners.hpp"
#include "sy/router/options.hpp"

namespace sy::router::detect {

class Detectors {
 public:
  // Throws std::invalid_argument when a custom regex does not compile.
  explicit Detectors(const SensitivityOptions& options);
  ~Detectors();
  Detectors(const Detectors&) = delete;
  Detectors& operator=(const Detectors&) = delete;

  // False when scanning failed (the caller fails closed).
  bool scan(std::string_view normalized, Findings& out) const;
  const CustomRule& custom_rule(int i) const { return custom_[static_cast<size_t>(i)]; }

 private:
  enum class Handler : uint8_t {
    kApiPrefix, kKeyName, kWebhook, kTelegram, kPem, kPasswordId, kPasswordWord, kUri, kMarker, kMedical, kCustomKeyword,
  };
  struct Trigger {
    Handler handler;
    uint32_t length;  // literal length in bytes (0 for regex triggers)
    int custom = -1;
  };
  void add_literal(std::string_view lit, bool caseless, Handler h, int custom = -1);
  void add_regex(std::string regex, unsigned flags, Handler h);

  Enabled enabled_{};
  std::vector<CustomRule> custom_;
  std::vector<Trigger> triggers_;
  std::vector<std::string> patterns_;
  std::vector<unsigned> flags_;
  hs_database_t* db_ = nullptr;
  hs_database_t* custom_db_ = nullptr;  // custom regexes (start-of-match)
  std::vector<int> custom_regex_rule_;  // pattern id -> custom rule index
  uint64_t generation_ = 0;             // identifies the databases in per-thread scratch
};

std::optional<std::string> compile_check(const std::string& regex);

}  // namespace sy::router::detect
