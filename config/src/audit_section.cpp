// `audit:` — the tamper-evident audit log (gateway/include/sy/gateway/audit/).
//
//   audit:
//     path: audit/switchyard-audit.jsonl   # absent or empty: audit off; relative to the config file
//     fsync: every_record                  # or  fsync: { interval_ms: 50 }  (group commit)
//     hmac_key: { env: SY_AUDIT_KEY }      # or  { file: /run/secrets/audit-key }; absent: plain SHA-256
//     rotate_bytes: 268435456              # 0: never rotate by size
//     rotate_daily: true                   # new file at the first record of each UTC day
//     on_failure: reject                   # reject (fail the request closed) | continue (log and go on)
//     queue_capacity: 4096                 # records waiting for the writer; beyond it appends fail
//
// `fsync` takes one of two shapes so that an interval can never be given
// without the mode that uses it (no separate fsync_interval_ms key).
#include "sections.hpp"

namespace sy::config::detail {

AuditOptions parse_audit(const Section& audit, const ParseContext& ctx) {
  audit.allow_only({"path", "fsync", "hmac_key", "rotate_bytes", "rotate_daily", "on_failure", "queue_capacity"});
  AuditOptions o;
  o.path = ctx.resolve_path(audit.get_string("path", std::string{}));

  if (audit.has("fsync")) {
    const YAML::Node& node = audit.node()["fsync"];
    if (node.IsMap()) {
      Section fsync = audit.child("fsync");
      fsync.allow_only({"interval_ms"});
      o.fsync = "interval";
      o.fsync_interval = std::chrono::milliseconds(fsync.get_int("interval_ms", std::nullopt, 1, 60'000));
    } else {
      // A scalar other than every_record gets the enum error, which shows the
      // accepted value; the mapping form is named in the message too.
      if (node.IsScalar() && node.Scalar() != "every_record") {
        audit.fail("fsync", "expected every_record or { interval_ms: N } (group commit)");
      }
      o.fsync = audit.get_enum("fsync", {"every_record"});
    }
  }
  // A key reference that does not resolve must not silently downgrade the
  // chain to plain SHA-256, so it is required once the key is mentioned.
  if (audit.has("hmac_key")) o.hmac_key = audit.get_secret("hmac_key", true);
  o.rotate_bytes = static_cast<std::size_t>(
      audit.get_int("rotate_bytes", static_cast<int64_t>(o.rotate_bytes), 0, int64_t{1} << 42));
  o.rotate_daily = audit.get_bool("rotate_daily", o.rotate_daily);
  o.on_failure = audit.get_enum("on_failure", {"reject", "continue"}, o.on_failure);
  o.queue_capacity = static_cast<std::size_t>(
      audit.get_int("queue_capacity", static_cast<int64_t>(o.queue_capacity), 1, 1 << 20));
  if (o.path.empty() && audit.has("fsync")) audit.fail("path", "audit settings given but no path: set audit.path");
  return o;
}

}  // namespace sy::config::detail
