#pragma once
// Verifies audit files as one chain, in the order given (order_by_first_seq
// in files.hpp sorts a shell glob). Reports the first broken record with file,
// line and why.
//
// What the chain proves: every record is unaltered (hash), follows the one
// before it (prev link) and none is missing, reordered or inserted in between
// (seq). What it cannot prove alone: that records were cut off the very end,
// or that whole files before the first one given were removed — a chain that
// does not start at seq 0 is reported (first_seq) so that retention is visible.
//
// A last line without its newline in the last file is what a crash in the
// middle of a write leaves; such a write was never acknowledged, so by default
// it is reported as a warning and the chain still verifies (`strict` fails it).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sy/gateway/audit/chain.hpp"

namespace sy::gateway::audit {

enum class Break {
  kNone,
  kUnreadable,     // file cannot be opened
  kTruncated,      // a line without its newline (torn write)
  kMalformed,      // not JSON, or no seq/prev/alg
  kMissingHash,    // no final "hash" member
  kWrongAlg,       // keyed chain without a key, or plain record in a keyed chain
  kBadHash,        // record altered
  kBrokenLink,     // prev does not match the previous record's hash
  kSeqGap,         // seq jumps forward: records deleted (or moved later)
  kSeqOrder,       // seq repeats or goes back: record inserted, duplicated or moved
};

std::string_view to_string(Break b);

struct VerifyOptions {
  std::string hmac_key;     // required for a keyed chain
  bool strict_tail = false;  // a torn last line fails instead of warning
};

struct VerifyReport {
  bool ok = false;
  std::uint64_t records = 0;  // verified records
  std::uint64_t files = 0;
  std::optional<std::uint64_t> first_seq;
  std::optional<std::uint64_t> last_seq;
  std::string last_hash;
  bool keyed = false;
  std::vector<std::string> warnings;  // torn last line tolerated; chain not from seq 0
  // When !ok: the first broken record.
  Break why = Break::kNone;
  std::string file;
  std::uint64_t line = 0;  // 1-based
  std::string message;
};

VerifyReport verify(const std::vector<std::string>& files, const VerifyOptions& options);

// The same checks fed line by line (verify() reads files into it; tests and
// tools can feed memory). After the first break every call returns false.
class Verifier {
 public:
  explicit Verifier(VerifyOptions options);
  void begin_file(std::string name);
  // One newline-terminated line, without its '\n'.
  bool line(std::string_view text);
  // A last line without its newline; `final`: no file follows.
  bool torn_line(std::string_view text, bool final);
  void fail_file(std::string why);  // the current file cannot be read
  VerifyReport finish();

 private:
  bool fail(Break why, std::string message);

  VerifyOptions options_;
  ChainHasher hasher_;
  VerifyReport report_;
  std::uint64_t line_no_ = 0;
  bool broken_ = false;
};

// "ok: N records in F files, seq A..B, hmac-sha256" or "FILE:LINE: message".
std::string format_report(const VerifyReport& r);

}  // namespace sy::gateway::audit
