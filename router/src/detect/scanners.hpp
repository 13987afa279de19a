#pragma once
// The hand-written scanners of the built-in detectors. Each appends raw
// findings for the normalised text `t`; `enabled` gates the kinds.
#include <array>
#include <string_view>

#include "detect/common.hpp"

namespace sy::router::detect {

using Enabled = std::array<bool, kBuiltinKinds>;
inline bool on(const Enabled& e, Kind k) { return e[static_cast<size_t>(k)]; }

// Digit groups: CREDIT_CARD, US_SSN, CN_RESIDENT_ID, PHONE, IPv4.
void scan_numbers(std::string_view t, const Enabled& e, Findings& out);
void scan_ipv6(std::string_view t, Findings& out);
void scan_emails(std::string_view t, Findings& out);
void scan_ibans(std::string_view t, Findings& out);
// IBAN starting at byte i (two letters + two digits); returns its end or 0.
// scan_numbers calls it when it meets letters followed by digits.
size_t try_iban_at(std::string_view t, size_t i, Findings& out);

// Trigger-driven detectors: `at`/`end` locate the trigger literal.
void check_api_key_prefix(std::string_view t, size_t at, size_t end, Findings& out);
void check_key_name(std::string_view t, size_t at, size_t end, Findings& out);  // api_key=..., Bearer ...
void check_webhook(std::string_view t, size_t at, size_t end, Findings& out);
void check_private_key(std::string_view t, size_t at, Findings& out);
void check_password_word(std::string_view t, size_t at, size_t end, bool ascii_identifier, Findings& out);
void check_uri_credentials(std::string_view t, size_t at, Findings& out);  // at = position of "://"
void check_marker(std::string_view t, size_t at, size_t end, Findings& out);
// Medical works sentence by sentence; `at` is any cue inside the sentence.
class MedicalMatcher;

// Phone validation (libphonenumber); digits/groups describe the candidate.
bool phone_ok(std::string_view candidate, bool international, bool has_cue);

}  // namespace sy::router::detect
