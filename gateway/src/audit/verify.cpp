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

Verifier::Verifier(VerifyOptions options) : options_(std::move(options)), hasher_(options_.hmac_key) {}

void Verifier::begin_file(std::string name) {
  if (broken_) return;
  report_.file = std::move(name);
  ++report_.files;
  line_no_ = 0;
}

bool Verifier::fail(Break why, std::string message) {
  broken_ = true;
  report_.why = why;
  report_.line = line_no_;
  report_.message = std::move(message);
  return false;
}

void Verifier::fail_file(std::string why) {
  if (broken_) return;
  line_no_ = 0;
  fail(Break::kUnreadable, std::move(why));
}

bool Verifier::torn_line(std::string_view text, bool final) {
  if (broken_) return false;
  ++line_no_;
  if (final && !options_.strict_tail) {
    report_.warnings.push_back(fmt::format(
        "{}:{}: incomplete last line ({} bytes) ignored: a write cut short by a crash, never acknowledged",
        report_.file, line_no_, text.size()));
    return true;
  }
  return fail(Break::kTruncated, fmt::format("truncated line ({} bytes, no newline){}", text.size(),
                                             final ? "" : " in the middle of the chain"));
}

bool Verifier::line(std::string_view text) {
  if (broken_) return false;
  ++line_no_;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return fail(Break::kMalformed, "malformed JSON");
  if (!j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("prev") || !j["prev"].is_string() ||
      !j.contains("alg") || !j["alg"].is_string())
    return fail(Break::kMalformed, "not an audit record (seq, prev or alg missing)");
  auto u = unseal(text);
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
    if (seq == 0 && prev != kGenesisPrev) return fail(Break::kBrokenLink, "seq 0 does not start from the genesis hash");
    report_.first_seq = seq;
  } else {
    const std::uint64_t expected = *report_.last_seq + 1;
    if (seq > expected)
      return fail(Break::kSeqGap, fmt::format("seq gap: expected {}, found {}: {} record(s) deleted or moved",
                                              expected, seq, seq - expected));
    if (seq < expected)
      return fail(Break::kSeqOrder,
                  fmt::format("seq {} after {}: record inserted, duplicated or moved", seq, *report_.last_seq));
    if (prev != report_.last_hash)
      return fail(Break::kBrokenLink,
                  "broken link: prev is not the hash of the previous record (replaced or inserted record)");
  }
  report_.last_seq = seq;
  report_.last_hash = u->hash;
  report_.keyed = hasher_.keyed();
  ++report_.records;
  return true;
}

VerifyReport Verifier::finish() {
  VerifyReport out = report_;
  out.ok = !broken_;
  if (out.ok) {
    out.file.clear();
    if (out.first_seq && *out.first_seq != 0) {
      out.warnings.push_back(fmt::format(
          "chain starts at seq {}: earlier records are not in the files given (retention?)", *out.first_seq));
    }
  }
  return out;
}

VerifyReport verify(const std::vector<std::string>& files, const VerifyOptions& options) {
  Verifier v(options);
  for (std::size_t f = 0; f < files.size(); ++f) {
    v.begin_file(files[f]);
    std::ifstream in(files[f], std::ios::binary);
    if (!in) {
      v.fail_file("cannot open file");
      break;
    }
    bool going = true;
    for (std::string line; going && std::getline(in, line);) {
      // eof after getline: the line ended at end of file, not at '\n'.
      going = in.eof() ? v.torn_line(line, f + 1 == files.size()) : v.line(line);
    }
    if (!going) break;
  }
  return v.finish();
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
