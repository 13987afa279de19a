#include "sy/gateway/audit/verify.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sy/gateway/audit/chain.hpp"

namespace sy::gateway::audit {

std::string_view to_string(Break b) {
  switch (b) {
    case Break::kNone: return "none";
    case Break::kUnreadable: return "unreadable";
    case Break::kTruncated: return "truncated";
    case Break::kMalformed: return "malformed";
    case Break::kMissingHash: return "missing_hash";
    case Break::kWrongAlg: return "wrong_alg";
    case Break::kBadHash: return "bad_hash";
    case Break::kBrokenLink: return "broken_link";
    case Break::kSeqGap: return "seq_gap";
    case Break::kSeqOrder: return "seq_order";
  }
  return "unknown";
}

namespace {

class Checker {
 public:
  Checker(const VerifyOptions& o, VerifyReport& r) : hasher_(o.hmac_key), report_(r) {}

  // False at the first broken record (recorded in the report).
  bool check(const std::string& file, std::uint64_t line_no, const std::string& line) {
    auto fail = [&](Break why, std::string msg) {
      report_.why = why;
      report_.file = file;
      report_.line = line_no;
      report_.message = std::move(msg);
      return false;
    };
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) return fail(Break::kMalformed, "malformed JSON");
    if (!j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("prev") || !j["prev"].is_string() ||
        !j.contains("alg") || !j["alg"].is_string())
      return fail(Break::kMalformed, "not an audit record (seq, prev or alg missing)");
    auto u = unseal(line);
    if (!u) return fail(Break::kMissingHash, "no hash: the record does not end with a \"hash\" member");
    const std::string alg = j["alg"].get<std::string>();
    if (alg != kAlgSha256 && alg != kAlgHmacSha256) return fail(Break::kWrongAlg, "unknown alg \"" + alg + "\"");
    if (alg == kAlgHmacSha256 && !hasher_.keyed())
      return fail(Break::kWrongAlg, "the chain is keyed (hmac-sha256): give the audit key (--key-env or --key-file)");
    if (alg == kAlgSha256 && hasher_.keyed())
      return fail(Break::kWrongAlg,
                  "plain sha256 record in a keyed chain: rewritten by someone without the key, or wrong key given");
    if (hasher_.hex_digest(u->body) != u->hash)
      return fail(Break::kBadHash, hasher_.keyed() ? "bad hash: the record was altered (or the key is wrong)"
                                                   : "bad hash: the record was altered");
    const auto seq = j["seq"].get<std::uint64_t>();
    const auto prev = j["prev"].get<std::string>();
    if (!report_.last_seq) {
      if (seq == 0 && prev != kGenesisPrev)
        return fail(Break::kBrokenLink, "seq 0 does not start from the genesis hash");
      report_.first_seq = seq;
    } else {
      const std::uint64_t expected = *report_.last_seq + 1;
      if (seq > expected)
        return fail(Break::kSeqGap, fmt::format("seq gap: expected {}, found {}: {} record(s) deleted or moved",
                                                expected, seq, seq - expected));
      if (seq < expected)
        return fail(Break::kSeqOrder, fmt::format("seq {} after {}: record inserted, duplicated or moved", seq,
                                                  *report_.last_seq));
      if (prev != report_.last_hash)
        return fail(Break::kBrokenLink, "broken link: prev is not the hash of the previous record (replaced or "
                                        "inserted record)");
    }
    report_.last_seq = seq;
    report_.last_hash = u->hash;
    report_.keyed = hasher_.keyed();
    ++report_.records;
    return true;
  }

 private:
  ChainHasher hasher_;
  VerifyReport& report_;
};

}  // namespace

VerifyReport verify(const std::vector<std::string>& files, const VerifyOptions& options) {
  VerifyReport report;
  Checker checker(options, report);
  for (std::size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      report.why = Break::kUnreadable;
      report.file = file;
      report.message = "cannot open file";
      return report;
    }
    ++report.files;
    std::string line;
    std::uint64_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (in.eof()) {  // getline stopped at end of file, not at '\n'
        const bool last_file = f + 1 == files.size();
        if (last_file && !options.strict_tail) {
          report.warnings.push_back(fmt::format("{}:{}: incomplete last line ({} bytes) ignored: a write cut short by a crash, "
                                       "never acknowledged",
                                       file, line_no, line.size()));
          break;
        }
        report.why = Break::kTruncated;
        report.file = file;
        report.line = line_no;
        report.message = fmt::format("truncated line ({} bytes, no newline){}", line.size(),
                                     last_file ? "" : " in the middle of the chain");
        return report;
      }
      if (!checker.check(file, line_no, line)) return report;
    }
  }
  report.ok = true;
  if (report.first_seq && *report.first_seq != 0) {
    report.warnings.push_back(fmt::format(
        "chain starts at seq {}: earlier records are not in the files given (retention?)", *report.first_seq));
  }
  return report;
}

std::string format_report(const VerifyReport& r) {
  if (!r.ok) {
    if (r.line == 0) return fmt::format("{}: {}", r.file, r.message);
    return fmt::format("{}:{}: {}", r.file, r.line, r.message);
  }
  if (r.records == 0) return fmt::format("ok: no records in {} file(s)", r.files);
  return fmt::format("ok: {} records in {} file(s), seq {}..{}, {}", r.records, r.files, *r.first_seq, *r.last_seq,
                     r.keyed ? kAlgHmacSha256 : kAlgSha256);
}

}  // namespace sy::gateway::audit
