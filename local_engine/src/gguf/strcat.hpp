#pragma once
// g++ 12 has no <format>; a tiny concatenation helper for error messages.
#include <sstream>
#include <string>

namespace sy::local_engine::detail {

template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

}  // namespace sy::local_engine::detail
