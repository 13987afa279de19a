#include <gtest/gtest.h>

#include "audit_test_util.hpp"
#include "sy/gateway/audit/chain.hpp"
#include "sy/gateway/audit/files.hpp"
#include "sy/gateway/audit/verify.hpp"

namespace sy::gateway::audit {
namespace {
using namespace testing;

constexpr int kRecords = 6;

class AuditVerify : public ::testing::Test {
 protected:
  // A chain of kRecords records written by the real writer; returns its lines.
  std::vector<std::string> make_chain(const std::string& key = {}) {
    auto o = options_for(path_);
    o.hmac_key = key;
    auto log = AuditLog::open(o);
    EXPECT_TRUE(log.has_value());
    append_n(**log, kRecords);
    (*log)->close();
    return read_lines(path_);
  }
  VerifyReport verify_lines(const std::vector<std::string>& lines, const std::string& key = {}) {
    write_lines(tampered_, lines);
    return verify({tampered_}, {.hmac_key = key, .strict_tail = false});
  }
  // In memory, for the thousands of single-byte variants.
  static VerifyReport verify_in_memory(const std::vector<std::string>& lines, const std::string& key) {
    Verifier v({.hmac_key = key, .strict_tail = false});
    v.begin_file("mem");
    for (const auto& l : lines) {
      if (!v.line(l)) break;
    }
    return v.finish();
  }

  TempDir dir_;
  std::string path_ = dir_.file("audit.jsonl");
  std::string tampered_ = dir_.file("tampered.jsonl");
};

TEST_F(AuditVerify, IntactChainPasses) {
  auto lines = make_chain();
  EXPECT_TRUE(verify_in_memory(lines, {}).ok);
  auto r = verify_lines(lines);
  EXPECT_TRUE(r.ok) << format_report(r);
  EXPECT_EQ(r.records, static_cast<uint64_t>(kRecords));
  EXPECT_EQ(format_report(r), "ok: 6 records in 1 file(s), seq 0..5, sha256");
}

TEST_F(AuditVerify, FlippingAnySingleByteIsCaughtAtThatLine) {
  for (const std::string key : {"", "secret"}) {
    auto lines = make_chain(key);
    std::remove(path_.c_str());
    const size_t target = 3;  // line 4
    for (unsigned char mask : {0x01, 0x20, 0x80}) {
      for (size_t pos = 0; pos < lines[target].size(); ++pos) {
        auto copy = lines;
        copy[target][pos] = static_cast<char>(copy[target][pos] ^ mask);
        if (copy[target][pos] == '\n') continue;  // a new line, not a flipped byte
        auto r = verify_in_memory(copy, key);
        ASSERT_FALSE(r.ok) << "undetected flip at byte " << pos << " mask " << int(mask) << " key '" << key << "'";
        ASSERT_EQ(r.line, target + 1) << "byte " << pos << ": " << format_report(r);
      }
    }
  }
}

TEST_F(AuditVerify, DeletedRecordIsASeqGapAtTheNextLine) {
  auto lines = make_chain();
  lines.erase(lines.begin() + 2);
  auto r = verify_lines(lines);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.why, Break::kSeqGap);
  EXPECT_EQ(r.line, 3u);
  EXPECT_EQ(format_report(r).rfind(tampered_ + ":3: seq gap", 0), 0u) << format_report(r);
}

TEST_F(AuditVerify, DeletingTheHeadIsReportedAsAChainNotFromGenesis) {
  auto lines = make_chain();
  lines.erase(lines.begin());
  auto r = verify_lines(lines);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.first_seq, 1u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("starts at seq 1"), std::string::npos);
}

TEST_F(AuditVerify, ReorderedRecordsAreCaughtWhereTheOrderBreaks) {
  auto lines = make_chain();
  std::swap(lines[2], lines[3]);
  auto r = verify_lines(lines);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.line, 3u);
  EXPECT_EQ(r.why, Break::kSeqGap);
}

TEST_F(AuditVerify, DuplicatedRecordIsCaughtAtTheCopy) {
  auto lines = make_chain();
  lines.insert(lines.begin() + 3, lines[1]);
  auto r = verify_lines(lines);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.line, 4u);
  EXPECT_EQ(r.why, Break::kSeqOrder);
}

TEST_F(AuditVerify, ForgedInsertionIntoAPlainChainBreaksTheNextLink) {
  auto lines = make_chain();
  // The attacker seals a well-formed record that follows line 3.
  auto third = nlohmann::json::parse(lines[2]);
  Sealed forged = seal(sample_record(99), third["seq"].get<uint64_t>() + 1, third["hash"].get<std::string>(),
                       ChainHasher());
  lines.insert(lines.begin() + 3, forged.line);
  auto r = verify_lines(lines);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.line, 5u);  // the forged line 4 is self-consistent; the original record 4 no longer fits
  EXPECT_EQ(r.why, Break::kSeqOrder);
}

TEST_F(AuditVerify, ForgedInsertionIntoAKeyedChainIsCaughtAtTheForgery) {
  auto lines = make_chain("the-audit-key");
  auto third = nlohmann::json::parse(lines[2]);
  for (const std::string attacker_key : {"", "guessed-key"}) {
    auto copy = lines;
    Sealed forged = seal(sample_record(99), third["seq"].get<uint64_t>() + 1, third["hash"].get<std::string>(),
                         ChainHasher(attacker_key));
    copy.insert(copy.begin() + 3, forged.line);
    auto r = verify_lines(copy, "the-audit-key");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.line, 4u);
    EXPECT_EQ(r.why, attacker_key.empty() ? Break::kWrongAlg : Break::kBadHash) << format_report(r);
  }
}

// Someone who can edit the files rewrites record 3 and re-hashes everything
// after it with plain SHA-256, keeping every link consistent.
TEST_F(AuditVerify, KeyedChainCannotBeRehashedWithoutTheKey) {
  auto lines = make_chain("the-audit-key");
  for (bool keep_alg_label : {false, true}) {
    auto copy = lines;
    std::string prev = nlohmann::json::parse(copy[1])["hash"];
    for (size_t i = 2; i < copy.size(); ++i) {
      auto rec = nlohmann::json::parse(copy[i]);
      if (i == 2) rec["served_by"] = "cloud";
      Sealed s = seal(rec, rec["seq"].get<uint64_t>(), prev, ChainHasher());
      if (keep_alg_label) {
        auto j = nlohmann::json::parse(s.line);
        j["alg"] = "hmac-sha256";
        j.erase("hash");
        std::string body = j.dump();
        s.hash = ChainHasher().hex_digest(body);
        body.pop_back();
        s.line = body + ",\"hash\":\"" + s.hash + "\"}";
      }
      copy[i] = s.line;
      prev = s.hash;
    }
    auto r = verify_lines(copy, "the-audit-key");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.line, 3u);
    EXPECT_EQ(r.why, keep_alg_label ? Break::kBadHash : Break::kWrongAlg) << format_report(r);
  }
}

TEST_F(AuditVerify, KeyedChainNeedsTheRightKey) {
  auto lines = make_chain("the-audit-key");
  EXPECT_TRUE(verify_lines(lines, "the-audit-key").ok);
  auto no_key = verify_lines(lines);
  EXPECT_FALSE(no_key.ok);
  EXPECT_EQ(no_key.why, Break::kWrongAlg);
  EXPECT_EQ(no_key.line, 1u);
  auto wrong = verify_lines(lines, "another-key");
  EXPECT_FALSE(wrong.ok);
  EXPECT_EQ(wrong.why, Break::kBadHash);
  EXPECT_EQ(wrong.line, 1u);
}

TEST_F(AuditVerify, MalformedAndTruncatedLines) {
  auto lines = make_chain();
  auto copy = lines;
  copy[1] = "not json";
  auto r = verify_lines(copy);
  EXPECT_EQ(r.why, Break::kMalformed);
  EXPECT_EQ(r.line, 2u);
  copy = lines;
  copy[4] = "";
  r = verify_lines(copy);
  EXPECT_EQ(r.why, Break::kMalformed);
  EXPECT_EQ(r.line, 5u);
  copy = lines;
  copy[2] = R"({"x":1})";
  r = verify_lines(copy);
  EXPECT_EQ(r.why, Break::kMalformed);
  EXPECT_EQ(r.line, 3u);
}

TEST_F(AuditVerify, TruncationInsideAnEarlierFileFails) {
  auto o = options_for(path_);
  o.rotate_bytes = 1500;
  {
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value());
    append_n(**log, 12);
  }
  std::vector<std::string> files;
  for (const auto& f : chain_files(path_)) files.push_back(f.string());
  ASSERT_GE(files.size(), 3u);
  ASSERT_TRUE(verify(files, {}).ok);
  // Cut the newline off the last line of the first file.
  auto content = read_all(files[0]);
  std::ofstream(files[0], std::ios::binary | std::ios::trunc) << content.substr(0, content.size() - 1);
  auto r = verify(files, {});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.why, Break::kTruncated);
  EXPECT_EQ(r.file, files[0]);
  EXPECT_EQ(r.line, read_lines(files[0]).size());
}

TEST_F(AuditVerify, RemovingTheLastRecordOfAFileBreaksTheNextFile) {
  auto o = options_for(path_);
  o.rotate_bytes = 3000;
  {
    auto log = AuditLog::open(o);
    ASSERT_TRUE(log.has_value());
    append_n(**log, 12);
  }
  std::vector<std::string> files;
  for (const auto& f : chain_files(path_)) files.push_back(f.string());
  ASSERT_GE(files.size(), 2u);
  auto first = read_lines(files[0]);
  ASSERT_GE(first.size(), 2u);
  first.pop_back();
  write_lines(files[0], first);
  auto r = verify(files, {});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.file, files[1]);
  EXPECT_EQ(r.line, 1u);
  EXPECT_EQ(r.why, Break::kSeqGap);
}

TEST_F(AuditVerify, MissingFileIsReported) {
  auto r = verify({dir_.file("nope.jsonl")}, {});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.why, Break::kUnreadable);
}

}  // namespace
}  // namespace sy::gateway::audit
