#pragma once
// Where the audit chain lives on disk. The writer appends to the active file
// `<dir>/<stem><ext>` (e.g. audit/switchyard-audit.jsonl) and rotates it, by
// size or at the first record of a new UTC day, to
// `<dir>/<stem>-YYYYMMDD-NNNN<ext>` (YYYYMMDD: the UTC day the file was
// started; NNNN: 0001, 0002, ... within that day). The chain continues across
// files: the first record of a file carries the last hash of the one before.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sy::gateway::audit {

// Days since 1970-01-01 (UTC) <-> "YYYYMMDD".
std::string day_stamp(int64_t day);
// Parses the "YYYY-MM-DD" prefix of an ISO-8601 time; nullopt when malformed.
std::optional<int64_t> day_of_iso_time(const std::string& iso);

std::filesystem::path rotated_path(const std::filesystem::path& active, int64_t day, unsigned index);

// Rotated files of `active`, oldest first (by day, then index).
std::vector<std::filesystem::path> rotated_files(const std::filesystem::path& active);
// Rotated files, then the active file when it exists: the whole chain in order.
std::vector<std::filesystem::path> chain_files(const std::filesystem::path& active);

// Orders files named on a command line by the seq of their first record, so a
// shell glob's order does not matter. Files without a readable first record
// keep their relative order, after the others (the verifier then reports them).
std::vector<std::string> order_by_first_seq(std::vector<std::string> files);

}  // namespace sy::gateway::audit
