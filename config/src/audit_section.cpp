// Stub until the audit section lands; its owner replaces this file.
#include "sections.hpp"

namespace sy::config::detail {

AuditOptions parse_audit(const Section& audit, const ParseContext& ctx) { return {}; }

}  // namespace sy::config::detail
