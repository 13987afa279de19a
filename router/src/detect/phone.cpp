// Phone numbers are validated by libphonenumber (number plans of every
// region); the candidate's digit grouping must agree with how that region
// writes the number, so part numbers and references that happen to be valid
// digit strings are not reported.
#include <phonenumbers/phonenumberutil.h>

#include <string>
#include <vector>

#include "detect/scanners.hpp"

namespace sy::router::detect {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

std::vector<int> boundaries(std::string_view s) {
  std::vector<int> out;
  int digits = 0;
  bool in_sep = false;
  for (char c : s) {
    if (is_digit(c)) {
      if (in_sep && digits > 0) out.push_back(digits);
      in_sep = false;
      ++digits;
    } else {
      in_sep = true;
    }
  }
  return out;
}

std::string digits_of(std::string_view s) {
  std::string d;
  for (char c : s)
    if (is_digit(c)) d.push_back(c);
  return d;
}

// Ranges regulators reserve for drama and documentation.
bool fictional_other(const PhoneNumber& num) {
  const std::string nsn = std::to_string(num.national_number());
  if (num.country_code() == 44) {
    return nsn.compare(0, 7, "7700900") == 0 || nsn.compare(0, 7, "2079460") == 0 || nsn.compare(0, 7, "1632960") == 0 ||
           nsn.compare(0, 7, "1134960") == 0 || nsn.compare(0, 7, "1214960") == 0 || nsn.compare(0, 7, "8081570") == 0;
  }
  if (num.country_code() == 61) return nsn.compare(0, 6, "491570") == 0 || nsn.compare(0, 6, "255501") == 0;
  return false;
}

bool fictional_nanp(const PhoneNumber& num) {
  if (fictional_other(num)) return true;
  // Toll-free, shared-cost and premium numbers belong to businesses, not people
  // (e.g. China's 400/800 hotlines, 1-800 numbers).
  switch (PhoneNumberUtil::GetInstance()->GetNumberType(num)) {
    case PhoneNumberUtil::TOLL_FREE:
    case PhoneNumberUtil::PREMIUM_RATE:
    case PhoneNumberUtil::SHARED_COST:
    case PhoneNumberUtil::UAN:
      return true;
    default:
      break;
  }
  if (num.country_code() != 1) return false;
  std::string nsn = std::to_string(num.national_number());
  if (nsn.size() != 10) return false;
  if (nsn.compare(3, 3, "555") != 0) return false;
  int line = std::stoi(nsn.substr(6));
  return line >= 100 && line <= 199;
}

// Candidate boundaries must be a subset of the formatted ones (merging
// adjacent groups is fine: "010-12345678" for "010 1234 5678").
bool grouping_agrees(std::string_view cand, const std::string& formatted) {
  if (digits_of(cand) != digits_of(formatted)) return false;
  auto cb = boundaries(cand);
  auto fb = boundaries(formatted);
  for (int b : cb) {
    bool found = false;
    for (int f : fb) found |= f == b;
    if (!found) return false;
  }
  return true;
}

}  // namespace

bool phone_ok(std::string_view cand, bool international, bool has_cue) {
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  std::string s(cand);
  const std::string digits = digits_of(cand);
  if (digits.size() < 7 || digits.size() > 15) return false;
  const bool grouped = !boundaries(cand).empty();
  // Twilio's documented E.164 example.
  if (digits == "14155552671") return false;
  {
    // NANP 555-0100..0199 is reserved for fiction, whatever region parses it.
    std::string nanp = digits.size() == 11 && digits[0] == '1' ? digits.substr(1) : digits;
    if (nanp.size() == 10 && nanp.compare(3, 3, "555") == 0 && nanp[6] == '0' && nanp[7] == '1') return false;
  }
  PhoneNumber num;
  if (international) {
    if (util->Parse(s, "ZZ", &num) != PhoneNumberUtil::NO_PARSING_ERROR) return false;
    if (!util->IsValidNumber(num) || fictional_nanp(num)) return false;
    if (grouped || has_cue) return true;
    std::string f;
    util->Format(num, PhoneNumberUtil::E164, &f);
    return f == "+" + digits;
  }
  const bool cn_mobile = digits.size() == 11 && digits[0] == '1' && digits[1] >= '3' && digits[1] <= '9';
  if (!grouped && !has_cue && !cn_mobile) return false;
  static constexpr const char* kRegions[] = {"US", "CN", "JP", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "KR",
                                             "AU", "BR", "MX", "CH", "AT", "BE", "SE", "PL", "SG", "HK", "TW"};
  for (const char* region : kRegions) {
    if (util->Parse(s, region, &num) != PhoneNumberUtil::NO_PARSING_ERROR) continue;
    if (!util->IsValidNumberForRegion(num, region) || fictional_nanp(num)) continue;
    if (!grouped || has_cue) return true;
    std::string f;
    util->Format(num, PhoneNumberUtil::NATIONAL, &f);
    if (grouping_agrees(cand, f)) return true;
  }
  return false;
}

}  // namespace sy::router::detect
