#pragma once
// Helpers shared by the router unit tests.
#include <string>
#include <utility>
#include <vector>

#include "sy/router/router.hpp"

namespace sy::router::testing {

inline ChatRequest user_request(const std::string& text, const std::string& model = "auto") {
  ChatRequest r;
  r.model = model;
  Message m;
  m.role = "user";
  m.content = text;
  r.messages.push_back(std::move(m));
  return r;
}

// Code-point span of the first occurrence of `needle` in `text` (UTF-8).
inline std::pair<int64_t, int64_t> cp_span(const std::string& text, const std::string& needle) {
  size_t b = text.find(needle);
  if (b == std::string::npos) return {-1, -1};
  auto cps = [&](size_t upto) {
    int64_t n = 0;
    for (size_t i = 0; i < upto; ++i) n += (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    return n;
  };
  return {cps(b), cps(b + needle.size())};
}

inline const Router& default_router() {
  static const Router r{RouterOptions{}};
  return r;
}

inline Classification classify_text(const std::string& text, const Router& r = default_router()) {
  return r.classify(user_request(text), RequestContext{});
}

// True when a finding of `type` covers exactly `needle` in `text`.
inline bool finds(const std::string& text, const std::string& type, const std::string& needle,
                  const Router& r = default_router()) {
  auto c = classify_text(text, r);
  auto [s, e] = cp_span(text, needle);
  for (const auto& f : c.findings)
    if (f.type == type && f.start == s && f.end == e) return true;
  return false;
}

inline bool finds_type(const std::string& text, const std::string& type, const Router& r = default_router()) {
  auto c = classify_text(text, r);
  for (const auto& f : c.findings)
    if (f.type == type) return true;
  return false;
}

}  // namespace sy::router::testing
