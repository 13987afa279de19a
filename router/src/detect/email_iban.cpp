#include <cstring>
#include <string>

#include "detect/checks.hpp"
#include "detect/scanners.hpp"

namespace sy::router::detect {
namespace {

// Latin letters with diacritics (2-byte UTF-8 lead bytes C3..C5 and their
// continuation bytes) are allowed; CJK is not, so "wang@qq.com谢谢" ends at ".com".
bool latin_ext(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 0xC3 && u <= 0xC5) || (u >= 0x80 && u <= 0xBF);
}

bool local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' || latin_ext(c);
}

bool reserved_domain(std::string_view domain) {
  std::string d = to_lower(domain);
  auto ends_with = [&](std::string_view suf) {
    return d.size() >= suf.size() && d.compare(d.size() - suf.size(), suf.size(), suf) == 0 &&
           (d.size() == suf.size() || d[d.size() - suf.size() - 1] == '.');
  };
  static constexpr std::string_view kReserved[] = {
      "example.com", "example.org", "example.net", "example", "test", "invalid", "localhost", "local",
      "localdomain", "internal", "lan", "home.arpa", "domain.com", "yourdomain.com", "yourcompany.com",
      "company.com", "email.com", "mydomain.com", "acme.test", "somewhere.com", "users.noreply.github.com",
  };
  for (auto r : kReserved)
    if (ends_with(r)) return true;
  return false;
}

bool placeholder_local(std::string_view local) {
  std::string l = to_lower(local);
  static constexpr std::string_view kNames[] = {"you", "your.name", "yourname", "your_name", "firstname.lastname",
                                                "first.last", "name", "username", "user.name", "email", "someone"};
  for (auto k : kNames)
    if (l == k) return true;
  return false;
}

}  // namespace

void scan_emails(std::string_view t, Findings& out) {
  size_t pos = 0;
  while ((pos = t.find('@', pos)) != std::string_view::npos) {
    size_t at = pos++;
    size_t s = at;
    while (s > 0 && local_char(t[s - 1])) --s;
    // Do not start inside a multi-byte character (CJK continuation bytes).
    while (s < at && (static_cast<unsigned char>(t[s]) & 0xC0) == 0x80) ++s;
    while (s < at && (t[s] == '.' || t[s] == '\'')) ++s;
    if (s == at) continue;
    size_t e = at + 1;
    size_t last_dot = 0;
    while (e < t.size() && (is_alnum(t[e]) || t[e] == '-' || latin_ext(t[e]) ||
                            (t[e] == '.' && e + 1 < t.size() && (is_alnum(t[e + 1]) || latin_ext(t[e + 1]))))) {
      if (t[e] == '.') last_dot = e;
      ++e;
    }
    if (last_dot == 0 || e - last_dot - 1 < 2) continue;
    bool tld_alpha = true;
    for (size_t k = last_dot + 1; k < e; ++k) tld_alpha &= is_alpha(t[k]);
    if (!tld_alpha) continue;
    // URI credentials ("scheme://user:pw@host") and SSH remotes ("git@host:org/repo").
    if (s > 0 && (t[s - 1] == ':' || t[s - 1] == '/')) {
      size_t b = s - 1;
      while (b > 0 && !is_space(t[b - 1]) && t[b - 1] != '"' && t[b - 1] != '\'' && static_cast<unsigned char>(t[b - 1]) < 0x80) --b;
      if (t.substr(b, s - b).find("://") != std::string_view::npos || t[s - 1] == '/') continue;
    }
    {
      size_t b = s;
      while (b > 0 && !is_space(t[b - 1]) && t[b - 1] != '"' && t[b - 1] != '\'' && t[b - 1] != '(' && t[b - 1] != '<') --b;
      if (t.substr(b, at - b).find("://") != std::string_view::npos) continue;
    }
    std::string_view local = t.substr(s, at - s);
    if (e < t.size() && t[e] == ':' && (local == "git" || local == "hg")) continue;
    std::string_view domain = t.substr(at + 1, e - at - 1);
    if (reserved_domain(domain) || placeholder_local(local)) continue;
    out.push_back({Kind::kEmail, s, e});
    pos = e;
  }
}

size_t try_iban_at(std::string_view t, size_t i, Findings& out) {
  const size_t n = t.size();
  if (i + 15 > n || !is_alpha(t[i]) || !is_alpha(t[i + 1]) || !is_digit(t[i + 2]) || !is_digit(t[i + 3])) return 0;
  if (i > 0 && is_word(t[i - 1])) return 0;
  // Lower-case IBANs ("de44 5001 ...") are checked upper-cased; mod-97 and the
  // exact country length keep ordinary words out.
  const char cc[2] = {static_cast<char>(is_lower(t[i]) ? t[i] - 32 : t[i]),
                      static_cast<char>(is_lower(t[i + 1]) ? t[i + 1] - 32 : t[i + 1])};
  const int len = iban_length(std::string_view(cc, 2));
  if (len == 0) return 0;
  char compact[40];
  int got = 0;
  size_t j = i;
  size_t end = i;
  while (j < n && got < len) {
    char c = t[j];
    if (is_digit(c) || is_alpha(c)) {
      compact[got++] = is_lower(c) ? static_cast<char>(c - 32) : c;
      ++j;
      end = j;
    } else if ((c == ' ' || c == '-') && j + 1 < n && is_alnum(t[j + 1]) && j > i && is_alnum(t[j - 1])) {
      ++j;
    } else {
      break;
    }
  }
  if (got != len) return 0;
  if (end < n && is_word(t[end])) return 0;
  std::string_view iban(compact, static_cast<size_t>(got));
  if (!iban_ok(iban) || is_example_iban(iban)) return 0;
  out.push_back({Kind::kIban, i, end});
  return end;
}

void scan_ibans(std::string_view t, Findings& out) {
  for (size_t i = 0; i + 15 <= t.size(); ++i) {
    if (!is_digit(t[i + 2]) || !is_digit(t[i + 3])) continue;
    if (size_t end = try_iban_at(t, i, out)) i = end;
  }
}

}  // namespace sy::router::detect
