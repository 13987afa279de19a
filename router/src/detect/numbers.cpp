#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "detect/checks.hpp"
#include "detect/scanners.hpp"

namespace sy::router::detect {
namespace {

struct Token {
  size_t start = 0, end = 0;  // bytes
  char digit_buf[48];
  size_t nd = 0;
  int groups_buf[24];
  size_t ng = 0;
  bool plus = false, space = false, dash = false, dot = false, paren = false;
  std::string_view digits() const { return {digit_buf, nd}; }
  int group(size_t i) const { return groups_buf[i]; }
  void push_group(int g) {
    if (ng < std::size(groups_buf)) groups_buf[ng++] = g;
  }
};

// Cue words (lower case) in the `n` bytes before pos on the same line; an
// ASCII-letter cue must start a word ("tel" is not in "hotel").
bool cue_before(std::string_view t, size_t pos, std::initializer_list<std::string_view> cues, size_t n = 40) {
  std::string_view w = window_before(t, pos, n);
  char buf[64];
  const size_t len = std::min(w.size(), sizeof buf);
  w = w.substr(w.size() - len);
  bool has_alpha = false;
  for (size_t i = 0; i < len; ++i) {
    buf[i] = lower(w[i]);
    has_alpha |= static_cast<unsigned char>(buf[i]) >= 0x80 || is_alpha(buf[i]);
  }
  if (!has_alpha) return false;
  const std::string_view lw(buf, len);
  for (auto c : cues) {
    for (size_t p = lw.find(c); p != std::string_view::npos; p = lw.find(c, p + 1)) {
      if (!is_alpha(c[0]) || p == 0 || !is_alpha(lw[p - 1])) return true;
    }
  }
  return false;
}

bool phone_cue(std::string_view t, size_t pos, size_t window) {
  return cue_before(t, pos,
                    {"tel", "phone", "mobile", "cell", "call", "contact", "whatsapp", "sms", "fax", "dial", "ring",
                     "电话", "手机", "联系", "致电", "电話", "電話", "携帯", "連絡", "teléfono", "telefono",
                     "téléphone", "telefon", "handy", "rufnummer", "móvil", "movil", "portable", "전화", "cellulare", "reach me", "text me", "wechat", "微信", "tél",
                     "mobil", "cel", "fono", "연락처", "휴대폰", "핸드폰", "điện thoại", "telp", "телефон",
                     "моб", "тел", "電話番号", "联系方式"},
                    window);
}

// Reads one numeric token starting at i (a digit, '+' or '(').
Token read_token(std::string_view t, size_t i) {
  Token tok;
  tok.start = i;
  size_t n = t.size();
  if (t[i] == '+') {
    tok.plus = true;
    ++i;
  }
  const bool open_paren = t[i] == '(';
  if (open_paren) ++i;
  int group = 0;
  size_t last_digit_end = i;
  while (i < n) {
    char c = t[i];
    if (is_digit(c)) {
      tok.digit_buf[tok.nd++] = c;
      ++group;
      ++i;
      last_digit_end = i;
      if (tok.nd > 40) break;
      continue;
    }
    // A separator run of up to 3 chars from " -.()" followed by a digit.
    size_t j = i;
    int dots = 0, dashes = 0;
    while (j < n && j - i < 3 && (t[j] == ' ' || t[j] == '-' || t[j] == '.' || t[j] == '(' || t[j] == ')')) {
      dots += t[j] == '.';
      dashes += t[j] == '-';
      ++j;
    }
    if (j == i || j >= n || !is_digit(t[j]) || dots + dashes > 1 || group == 0) break;
    for (size_t k = i; k < j; ++k) {
      tok.space |= t[k] == ' ';
      tok.dash |= t[k] == '-';
      tok.dot |= t[k] == '.';
      tok.paren |= t[k] == '(' || t[k] == ')';
    }
    tok.push_group(group);
    group = 0;
    i = j;
  }
  if (group > 0) tok.push_group(group);
  tok.end = last_digit_end;
  if (open_paren) {
    // "(415) 316-3739" keeps its bracket; "(115.65.55.117)" does not.
    size_t after_first = tok.start + 1 + (tok.ng == 0 ? 0 : tok.group(0));
    if (after_first < t.size() && t[after_first] == ')' && tok.ng > 1) {
      tok.paren = true;
    } else {
      tok.start += 1;
    }
  }
  // "(415) 316-3739": a trailing ')' of a leading '(' group is kept inside.
  return tok;
}

bool ipv4_excluded(const int o[4]) {
  const int a = o[0], b = o[1], c = o[2];
  if (a == 0 || a == 10 || a == 127 || a >= 224) return true;
  if (a == 100 && b >= 64 && b <= 127) return true;
  if (a == 169 && b == 254) return true;
  if (a == 172 && b >= 16 && b <= 31) return true;
  if (a == 192 && b == 168) return true;
  if (a == 192 && b == 0 && (c == 0 || c == 2)) return true;
  if (a == 198 && (b == 18 || b == 19)) return true;
  if (a == 198 && b == 51 && c == 100) return true;
  if (a == 203 && b == 0 && c == 113) return true;
  return false;
}

void check_ipv4(std::string_view t, const Token& tok, Findings& out) {
  int o[4];
  size_t p = 0;
  for (int k = 0; k < 4; ++k) {
    if (tok.group(k) > 3) return;
    o[k] = 0;
    for (int d = 0; d < tok.group(k); ++d) o[k] = o[k] * 10 + (tok.digit_buf[p++] - '0');
    if (o[k] > 255) return;
  }
  if (ipv4_excluded(o)) return;
  // "10.0.0.0/8", "1.2.3.4.5": blocks and longer dotted strings are not hosts.
  size_t e = tok.end;
  if (e < t.size() && t[e] == '.' && e + 1 < t.size() && is_digit(t[e + 1])) return;
  if (e < t.size() && t[e] == '/' && o[3] == 0) return;
  if (cue_before(t, tok.start,
                 {"version", "ver.", "ver ", "release", "build", "firmware", "版本", "バージョン", "python", "node",
                  "oid", "section", "§", "chapter", "clause", "rfc", "nginx", "windows", "kernel", "update",
                  "upgrade", "v=", "sdk", "api level", "patch"},
                 20))
    return;
  bool small = o[0] < 10 && o[1] < 10 && o[2] < 10 && o[3] < 10;
  if (small && !cue_before(t, tok.start,
                           {"ip", "host", "server", "address", "addr", "from", "connect", "地址", "ping", "dns",
                            "gateway", "trying", "nameserver", "peer", "client"},
                           48))
    return;
  out.push_back({Kind::kIpAddress, tok.start, tok.end});
}

bool card_grouping_ok(const Token& tok) {
  if (tok.ng == 1) return true;
  if (tok.plus || tok.paren) return false;  // mixed separators are an evasion, not a reason to skip
  bool fours = true;
  for (size_t k = 0; k + 1 < tok.ng; ++k) fours &= tok.group(k) == 4;
  const int last = tok.group(tok.ng - 1);
  if (fours && last >= 1 && last <= 4) return true;
  if (tok.ng == 3 && tok.group(0) == 4 && tok.group(1) == 6 && (last == 5 || last == 4)) return true;  // Amex, Diners
  return false;
}

bool date_like(const Token& tok) {
  if (tok.ng == 3 && !tok.plus && !tok.paren) {
    if (tok.group(0) == 4 && tok.group(1) <= 2 && tok.group(2) <= 2) return true;
    if (tok.group(0) <= 2 && tok.group(1) <= 2 && tok.group(2) == 4) return true;
  }
  return false;
}

void classify_token(std::string_view t, const Token& tok, const Enabled& en, Findings& out) {
  const size_t nd = tok.nd;
  const std::string_view digits = tok.digits();
  if (nd < 7) return;
  const bool only_dots = tok.dot && !tok.space && !tok.dash && !tok.paren && !tok.plus;
  if (only_dots && tok.ng == 4 && tok.group(0) <= 3 && tok.group(1) <= 3 && tok.group(2) <= 3 && tok.group(3) <= 3) {
    if (on(en, Kind::kIpAddress)) check_ipv4(t, tok, out);
    return;
  }
  const bool bounded = tok.end >= t.size() || !(is_word(t[tok.end]) || t[tok.end] == '@');
  if (bounded && nd >= 13 && nd <= 19 && !tok.plus && card_grouping_ok(tok)) {
    if (luhn_ok(digits) && card_brand_ok(digits)) {
      if (on(en, Kind::kCreditCard) && !is_test_card(digits)) out.push_back({Kind::kCreditCard, tok.start, tok.end});
      return;
    }
  }
  if (tok.dot && !tok.plus && !(only_dots && tok.ng == 3 && tok.group(0) == 3 && tok.group(1) == 3)) return;
  if (date_like(tok)) return;

  // CN resident ID: 17 digits and a check character that may be 'X'.
  if (nd == 17 && tok.end < t.size() && (t[tok.end] == 'X' || t[tok.end] == 'x') &&
      (tok.end + 1 >= t.size() || !is_word(t[tok.end + 1]))) {
    if (on(en, Kind::kCnResidentId) && cn_resident_id_ok(std::string(digits) + 'X')) {
      out.push_back({Kind::kCnResidentId, tok.start, tok.end + 1});
    }
    return;
  }
  if (tok.end < t.size() && (is_word(t[tok.end]) || t[tok.end] == '@')) return;
  if (nd == 18 && !tok.plus && on(en, Kind::kCnResidentId) && cn_resident_id_ok(digits)) {
    out.push_back({Kind::kCnResidentId, tok.start, tok.end});
    return;
  }
  if (nd == 9 && !tok.plus && !tok.paren) {
    bool dashed = tok.ng == 3 && tok.group(0) == 3 && tok.group(1) == 2 && tok.group(2) == 4 && !(tok.space && tok.dash);
    bool labelled = cue_before(t, tok.start, {"ssn", "social security", "soc sec", "ss#", "ss-nr"}, 60);
    if ((dashed && (tok.dash || labelled)) || (tok.ng == 1 && labelled)) {
      if (us_ssn_ok(digits) && on(en, Kind::kUsSsn)) out.push_back({Kind::kUsSsn, tok.start, tok.end});
      return;
    }
  }
  if (nd > 15 || !on(en, Kind::kPhone)) return;
  // The tail of a longer alphanumeric code ("1Z 999 AA1 01 2345 6784"): the
  // word just before mixes letters and digits.
  if (tok.start >= 2 && t[tok.start - 1] == ' ' && is_alnum(t[tok.start - 2])) {
    size_t w = tok.start - 1;
    bool letter = false, digit = false;
    while (w > 0 && is_alnum(t[w - 1])) {
      letter |= is_alpha(t[w - 1]);
      digit |= is_digit(t[w - 1]);
      --w;
    }
    if (letter && digit) return;
  }
  // The cue relaxes grouping and admits ungrouped numbers, so it must be close ("Tel: ", "电话：").
  bool cue = phone_cue(t, tok.start, 24);
  if (phone_ok(t.substr(tok.start, tok.end - tok.start), tok.plus, cue)) {
    out.push_back({Kind::kPhone, tok.start, tok.end});
  }
}

}  // namespace

void scan_numbers(std::string_view t, const Enabled& en, Findings& out) {
  const size_t n = t.size();
  size_t i = 0;
  while (i < n) {
    char c = t[i];
    bool starter = is_digit(c) || ((c == '+' || c == '(') && i + 1 < n && is_digit(t[i + 1]));
    if (!starter) {
      ++i;
      continue;
    }
    char prev = i > 0 ? t[i - 1] : ' ';
    if (is_word(prev) || prev == '/' || prev == '@' || prev == '\\' || prev == '$' || prev == '%' ||
        (prev == '.' && i >= 2 && is_alnum(t[i - 2])) || (prev == '-' && i >= 2 && is_alnum(t[i - 2])) ||
        (prev == '+' && c != '+')) {
      // Inside a word or a longer identifier: skip the whole run. Two
      // capitals then digits may open an IBAN ("DE89 3704 ...").
      if (on(en, Kind::kIban) && i >= 2 && is_alpha(t[i - 1]) && is_alpha(t[i - 2]) && i + 1 < n &&
          is_digit(t[i + 1])) {
        try_iban_at(t, i - 2, out);
      }
      size_t from = i;
      while (i < n && (is_word(t[i]) || t[i] == '.' || t[i] == '-')) ++i;
      if (i == from) ++i;
      continue;
    }
    Token tok = read_token(t, i);
    size_t next = tok.end > i ? tok.end : i + 1;
    if (tok.nd > 0) classify_token(t, tok, en, out);
    i = next;
  }
}

void scan_ipv6(std::string_view t, Findings& out) {
  const size_t n = t.size();
  size_t done = 0;  // runs before this offset were examined
  for (size_t c = t.find(':'); c != std::string_view::npos; c = t.find(':', std::max(c + 1, done))) {
    if (c < done) continue;
    size_t s = c, e = c;
    while (s > 0 && (is_hex(t[s - 1]) || t[s - 1] == ':')) --s;
    while (e < n && (is_hex(t[e]) || t[e] == ':')) ++e;
    done = e;
    int colons = 0;
    for (size_t k = s; k < e; ++k) colons += t[k] == ':';
    bool before_ok = s == 0 || !(is_word(t[s - 1]) || t[s - 1] == '.');
    bool after_ok = e == n || !(is_word(t[e]) || t[e] == '.');
    if (!before_ok || !after_ok || colons < 2 || e - s < 6 || e - s > 45) continue;
    std::string cand(t.substr(s, e - s));
    if (cand.back() == ':' && cand.find("::") != cand.size() - 2) {
      cand.pop_back();
      --e;
    }
    if (cand.find("::") == std::string::npos && colons != 7) continue;
    unsigned char addr[16];
    if (inet_pton(AF_INET6, cand.c_str(), addr) != 1) continue;
    const bool global = (addr[0] & 0xE0) == 0x20;
    const bool doc = addr[0] == 0x20 && addr[1] == 0x01 && addr[2] == 0x0d && addr[3] == 0xb8;
    if (!global || doc) continue;
    if (e < n && t[e] == '/') {
      // A prefix (CIDR block) rather than a host when the tail is all zero.
      bool tail_zero = true;
      for (int k = 8; k < 16; ++k) tail_zero &= addr[k] == 0;
      if (tail_zero) continue;
    }
    out.push_back({Kind::kIpAddress, s, e});
  }
}

}  // namespace sy::router::detect
