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
  std::string digits;
  std::vector<int> groups;  // digit-group lengths
  bool plus = false, space = false, dash = false, dot = false, paren = false, other = false;
};

bool cue_before(std::string_view t, size_t pos, std::initializer_list<std::string_view> cues, size_t n = 40) {
  std::string_view w = window_before(t, pos, n);
  for (auto c : cues)
    if (icontains_word(w, c)) return true;
  return false;
}

bool phone_cue(std::string_view t, size_t pos) {
  return cue_before(t, pos,
                    {"tel", "phone", "mobile", "cell", "call", "contact", "whatsapp", "sms", "fax", "dial", "ring",
                     "电话", "手机", "联系", "致电", "电話", "電話", "携帯", "連絡", "teléfono", "telefono",
                     "téléphone", "telefon", "handy", "rufnummer", "móvil", "movil", "portable", "número",
                     "numero", "号码", "號碼", "전화", "cellulare", "reach me", "text me", "wechat", "微信"});
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
      tok.digits.push_back(c);
      ++group;
      ++i;
      last_digit_end = i;
      if (tok.digits.size() > 40) break;
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
    tok.groups.push_back(group);
    group = 0;
    i = j;
  }
  if (group > 0) tok.groups.push_back(group);
  tok.end = last_digit_end;
  if (open_paren) {
    // "(415) 316-3739" keeps its bracket; "(115.65.55.117)" does not.
    size_t after_first = tok.start + 1 + (tok.groups.empty() ? 0 : tok.groups[0]);
    if (after_first < t.size() && t[after_first] == ')' && tok.groups.size() > 1) {
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
    if (tok.groups[k] > 3) return;
    o[k] = std::stoi(tok.digits.substr(p, tok.groups[k]));
    p += tok.groups[k];
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
                 32))
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
  if (tok.groups.size() == 1) return true;
  if (tok.plus || tok.paren) return false;  // mixed separators are an evasion, not a reason to skip
  const auto& g = tok.groups;
  bool fours = true;
  for (size_t k = 0; k + 1 < g.size(); ++k) fours &= g[k] == 4;
  if (fours && g.back() >= 1 && g.back() <= 4) return true;
  if (g.size() == 3 && g[0] == 4 && g[1] == 6 && (g[2] == 5 || g[2] == 4)) return true;  // Amex, Diners
  return false;
}

bool date_like(const Token& tok) {
  const auto& g = tok.groups;
  if (g.size() == 3 && !tok.plus && !tok.paren) {
    if (g[0] == 4 && g[1] <= 2 && g[2] <= 2) return true;
    if (g[0] <= 2 && g[1] <= 2 && g[2] == 4) return true;
  }
  return false;
}

void classify_token(std::string_view t, Token tok, const Enabled& en, Findings& out) {
  const size_t nd = tok.digits.size();
  if (nd < 7) return;
  const bool only_dots = tok.dot && !tok.space && !tok.dash && !tok.paren && !tok.plus;
  if (only_dots && tok.groups.size() == 4) {
    if (on(en, Kind::kIpAddress)) check_ipv4(t, tok, out);
    return;
  }
  const bool bounded = tok.end >= t.size() || !(is_word(t[tok.end]) || t[tok.end] == '@');
  if (bounded && nd >= 13 && nd <= 19 && !tok.plus && card_grouping_ok(tok)) {
    if (luhn_ok(tok.digits) && card_brand_ok(tok.digits)) {
      if (on(en, Kind::kCreditCard) && !is_test_card(tok.digits)) out.push_back({Kind::kCreditCard, tok.start, tok.end});
      return;
    }
  }
  if (tok.dot && !(only_dots && tok.groups.size() == 3 && tok.groups[0] == 3 && tok.groups[1] == 3)) return;
  if (date_like(tok)) return;

  // CN resident ID: 17 digits and a check character that may be 'X'.
  if (nd == 17 && tok.end < t.size() && (t[tok.end] == 'X' || t[tok.end] == 'x') &&
      (tok.end + 1 >= t.size() || !is_word(t[tok.end + 1]))) {
    if (on(en, Kind::kCnResidentId) && cn_resident_id_ok(tok.digits + 'X')) {
      out.push_back({Kind::kCnResidentId, tok.start, tok.end + 1});
    }
    return;
  }
  if (tok.end < t.size() && (is_word(t[tok.end]) || t[tok.end] == '@')) return;
  if (nd == 18 && !tok.plus && on(en, Kind::kCnResidentId) && cn_resident_id_ok(tok.digits)) {
    out.push_back({Kind::kCnResidentId, tok.start, tok.end});
    return;
  }
  if (nd == 9 && !tok.plus && !tok.paren) {
    const auto& g = tok.groups;
    bool dashed = g.size() == 3 && g[0] == 3 && g[1] == 2 && g[2] == 4 && !(tok.space && tok.dash);
    bool labelled = cue_before(t, tok.start, {"ssn", "social security", "soc sec", "ss#", "ss-nr"}, 60);
    if ((dashed && (tok.dash || labelled)) || (g.size() == 1 && labelled)) {
      if (us_ssn_ok(tok.digits) && on(en, Kind::kUsSsn)) out.push_back({Kind::kUsSsn, tok.start, tok.end});
      return;
    }
  }
  if (nd > 15 || !on(en, Kind::kPhone)) return;
  bool cue = phone_cue(t, tok.start);
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
      // Inside a word or a longer identifier: skip the whole run.
      size_t from = i;
      while (i < n && (is_word(t[i]) || t[i] == '.' || t[i] == '-')) ++i;
      if (i == from) ++i;
      continue;
    }
    Token tok = read_token(t, i);
    size_t next = tok.end > i ? tok.end : i + 1;
    if (!tok.digits.empty()) classify_token(t, std::move(tok), en, out);
    i = next;
  }
}

void scan_ipv6(std::string_view t, Findings& out) {
  const size_t n = t.size();
  if (t.find("::") == std::string_view::npos && std::count(t.begin(), t.end(), ':') < 7) return;
  size_t i = 0;
  while (i < n) {
    if (!(is_hex(t[i]) || t[i] == ':')) {
      ++i;
      continue;
    }
    size_t s = i;
    int colons = 0;
    while (i < n && (is_hex(t[i]) || t[i] == ':')) colons += t[i++] == ':';
    size_t e = i;
    bool before_ok = s == 0 || !(is_word(t[s - 1]) || t[s - 1] == '.');
    bool after_ok = e == n || !(is_word(t[e]) || t[e] == '.');
    if (!before_ok || !after_ok || colons < 2 || e - s < 6) continue;
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
    if (e < n && t[e] == '/' ) {
      // A prefix (CIDR block) rather than a host when the tail is all zero.
      bool tail_zero = true;
      for (int k = 8; k < 16; ++k) tail_zero &= addr[k] == 0;
      if (tail_zero) continue;
    }
    out.push_back({Kind::kIpAddress, s, e});
  }
}

}  // namespace sy::router::detect
