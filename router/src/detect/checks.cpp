#include "detect/checks.hpp"

#include <algorithm>
#include <string>

#include "detect/common.hpp"

namespace sy::router::detect {

bool luhn_ok(std::string_view d) {
  int sum = 0;
  bool dbl = false;
  for (size_t i = d.size(); i-- > 0;) {
    int v = d[i] - '0';
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

namespace {
int prefix_num(std::string_view d, size_t n) {
  int v = 0;
  for (size_t i = 0; i < n && i < d.size(); ++i) v = v * 10 + (d[i] - '0');
  return v;
}
}  // namespace

bool card_brand_ok(std::string_view d) {
  const size_t n = d.size();
  if (n < 13 || n > 19) return false;
  const int p1 = prefix_num(d, 1), p2 = prefix_num(d, 2), p3 = prefix_num(d, 3), p4 = prefix_num(d, 4),
            p6 = prefix_num(d, 6);
  if (p1 == 4) return n == 13 || n == 16 || n == 19;                       // Visa
  if (p2 >= 51 && p2 <= 55) return n == 16;                                // Mastercard
  if (p4 >= 2221 && p4 <= 2720) return n == 16;                            // Mastercard 2-series
  if (p2 == 34 || p2 == 37) return n == 15;                                // Amex
  if (p4 == 6011 || p2 == 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925))
    return n >= 16 && n <= 19;                                             // Discover
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;                 // JCB
  if (p2 == 62 || p2 == 81) return n >= 16 && n <= 19;                     // UnionPay
  if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39 || p4 == 3095)
    return n >= 14 && n <= 19;                                             // Diners
  if (p2 == 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19;      // Maestro
  return false;
}

bool is_test_card(std::string_view d) {
  static constexpr std::string_view kTest[] = {
      "4242424242424242", "4000056655665556", "5555555555554444", "2223003122003222", "5200828282828210",
      "5105105105105100", "378282246310005", "371449635398431", "6011111111111117", "6011000990139424",
      "3056930009020004", "36227206271667", "3566002020360505", "6200000000000005", "4111111111111111",
      "4012888888881881", "4222222222222", "5431111111111111", "4000000000000002", "4000000000009995",
      "4000000000000077", "4000000000000069", "4000000000000127", "4000000000000119", "4000002500003155",
      "4000002760003184", "4000000000003220", "378734493671000", "30569309025904", "38520000023237",
      "6011000400000000", "3530111333300000", "3566111111111113", "5454545454545454", "4917610000000000",
      "4444333322221111", "4988438843884305", "5500000000000004", "2222400070000005", "4035501000000008",
      "4360000001000005", "6250941006528599", "6243030000000001", "4000000760000002", "4000001240000000",
      "4007000000027",    "4012888818888",    "5424000000000015", "370000000000002",  "6011000000000012",
      "3088000000000017", "4005550000000001", "4111111111111", "5019717010103742", "6304000000000000",
  };
  return std::find(std::begin(kTest), std::end(kTest), d) != std::end(kTest);
}

bool cn_resident_id_ok(std::string_view id) {
  if (id.size() != 18) return false;
  for (size_t i = 0; i < 17; ++i)
    if (!is_digit(id[i])) return false;
  if (!(is_digit(id[17]) || id[17] == 'X' || id[17] == 'x')) return false;
  const int province = prefix_num(id, 2);
  if (province < 11 || province > 82) return false;
  const int year = prefix_num(id.substr(6), 4), month = prefix_num(id.substr(10), 2),
            day = prefix_num(id.substr(12), 2);
  if (year < 1900 || year > 2030 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (day > kDays[month - 1]) return false;
  if (month == 2 && day == 29 && !((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return false;
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[] = "10X98765432";
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  char expect = kCheck[sum % 11];
  char got = id[17] == 'x' ? 'X' : id[17];
  if (got != expect) return false;
  // Examples printed in GB 11643 and countless tutorials.
  std::string upper(id);
  if (upper[17] == 'x') upper[17] = 'X';
  static constexpr std::string_view kExamples[] = {"11010519491231002X", "440524188001010014", "110101199003074477"};
  for (auto e : kExamples)
    if (upper == e) return false;
  return true;
}

bool us_ssn_ok(std::string_view d) {
  if (d.size() != 9) return false;
  const int area = prefix_num(d, 3), group = prefix_num(d.substr(3), 2), serial = prefix_num(d.substr(5), 4);
  if (area == 0 || area == 666 || area >= 900) return false;
  if (group == 0 || serial == 0) return false;
  static constexpr std::string_view kPlaceholders[] = {"123456789", "078051120", "219099999", "111111111",
                                                       "333333333", "987654320", "987654321", "457555462"};
  for (auto p : kPlaceholders)
    if (d == p) return false;
  // All-same digits are filler.
  if (std::all_of(d.begin(), d.end(), [&](char c) { return c == d[0]; })) return false;
  return true;
}

int iban_length(std::string_view cc) {
  struct E {
    const char* cc;
    int len;
  };
  static constexpr E kTable[] = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
      {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
      {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
      {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
      {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
      {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
      {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
      {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
      {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
      {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
      {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
  };
  for (const auto& e : kTable)
    if (cc == e.cc) return e.len;
  return 0;
}

bool iban_ok(std::string_view s) {
  if (s.size() < 15 || s.size() > 34) return false;
  if (iban_length(s.substr(0, 2)) != static_cast<int>(s.size())) return false;
  if (!is_digit(s[2]) || !is_digit(s[3])) return false;
  int rem = 0;
  auto feed = [&](char c) {
    if (is_digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (is_upper(c)) {
      int v = c - 'A' + 10;
      rem = (rem * 100 + v) % 97;
    } else {
      rem = -1000000;
    }
  };
  for (size_t i = 4; i < s.size(); ++i) feed(s[i]);
  for (size_t i = 0; i < 4; ++i) feed(s[i]);
  return rem == 1;
}

bool is_example_iban(std::string_view s) {
  static constexpr std::string_view kExamples[] = {
      "DE89370400440532013000", "GB29NWBK60161331926819", "GB82WEST12345698765432", "FR1420041010050500013M02606",
      "FR7630006000011234567890189", "NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957",
      "ES9121000418450200051332", "IT60X0542811101000000123456", "AT611904300234573201", "PL61109010140000071219812874",
      "SE4550000000058398257466", "DK5000400440116243", "NO9386011117947", "FI2112345600000785",
      "IE29AIBK93115212345678", "LU280019400644750000", "PT50000201231234567890154", "CZ6508000000192000145399",
      "GR1601101250000000012300695", "HU42117730161111101800000000", "SK3112000000198742637541",
      "BE71096123456769", "ES7921000813610123456789", "DE02120300000000202051", "DE75512108001245126199",
  };
  return std::find(std::begin(kExamples), std::end(kExamples), s) != std::end(kExamples);
}

}  // namespace sy::router::detect
