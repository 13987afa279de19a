// Stub until the routing section lands; its owner replaces this file.
#include "sections.hpp"

namespace sy::config::detail {

router::RouterOptions parse_routing(const Section& root, const ParseContext& ctx) {
  Section s = root.child("routing");
  (void)s;
  return {};
}

}  // namespace sy::config::detail
