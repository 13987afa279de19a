// API keys, private keys and passwords. Triggers come from the Hyperscan
// literal pass; these functions decide whether a real-looking value follows.
#include <algorithm>
#include <string>

#include "detect/scanners.hpp"

namespace sy::router::detect {
namespace {

bool token_char(char c) { return is_alnum(c) || c == '_' || c == '-'; }
bool secret_char(char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '/' || c == '+' || c == '=' || c == '~';
}

struct Counts {
  int upper = 0, lower = 0, digit = 0;
};
Counts counts(std::string_view s) {
  Counts c;
  for (char ch : s) {
    c.upper += is_upper(ch);
    c.lower += is_lower(ch);
    c.digit += is_digit(ch);
  }
  return c;
}

bool is_uuid(std::string_view v) {
  if (v.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? v[i] != '-' : !is_hex(v[i])) return false;
  }
  return true;
}

// Credentials printed in vendor documentation (jwt.io, GitHub, Stripe,
// Google, Slack docs): public examples, not secrets.
bool documented_example(std::string_view v) {
  static constexpr std::string_view kExamples[] = {
      "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",  // jwt.io payload
      "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
      "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
      "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
      "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
      "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
      "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
      "xoxp-23984754863-2348975623103",
      "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
  };
  for (auto e : kExamples)
    if (v.find(e) != std::string_view::npos) return true;
  return false;
}

bool random_looking(std::string_view v, size_t min_len) {
  if (v.size() < min_len || looks_placeholder(v) || documented_example(v)) return false;
  Counts c = counts(v);
  if (c.digit == 0 && (c.upper == 0 || c.lower == 0)) return false;
  return entropy(v) >= 3.0;
}

}  // namespace

void check_api_key_prefix(std::string_view t, size_t at, size_t end, Findings& out) {
  if (at > 0 && (is_alnum(t[at - 1]) || t[at - 1] == '_' || t[at - 1] == '-')) return;
  std::string_view prefix = t.substr(at, end - at);
  size_t e = end;
  const bool aws = prefix == "AKIA" || prefix == "ASIA" || prefix == "AGPA" || prefix == "AIDA" ||
                   prefix == "AROA" || prefix == "ANPA" || prefix == "AIPA";
  const bool jwt = prefix == "eyJ";
  const bool dotted = prefix == "SG." || prefix == "ya29.";
  while (e < t.size() && (token_char(t[e]) || ((jwt || dotted) && t[e] == '.' && e + 1 < t.size() && token_char(t[e + 1]))))
    ++e;
  std::string_view body = t.substr(end, e - end);
  std::string_view whole = t.substr(at, e - at);
  if (documented_example(whole)) return;
  if (aws) {
    if (body.size() != 16 || !std::all_of(body.begin(), body.end(), [](char c) { return is_upper(c) || is_digit(c); }))
      return;
    if (icontains(whole, "EXAMPLE") || looks_placeholder(body)) return;
    out.push_back({Kind::kApiKey, at, e});
    return;
  }
  if (jwt) {
    if (std::count(whole.begin(), whole.end(), '.') != 2 || whole.size() < 40 || documented_example(whole)) return;
    out.push_back({Kind::kApiKey, at, e});
    return;
  }
  // Provider tokens: enough random-looking characters after the prefix.
  size_t min_len = 16;
  if (prefix == "AIza") min_len = 30;
  if (prefix == "ghp_" || prefix == "gho_" || prefix == "ghu_" || prefix == "ghs_" || prefix == "ghr_") min_len = 30;
  if (prefix == "sk-" || prefix == "sk-proj-") min_len = 20;
  if (prefix == "LTAI") min_len = 12;
  if (!random_looking(body, min_len)) return;
  out.push_back({Kind::kApiKey, at, e});
}

void check_key_name(std::string_view t, size_t at, size_t end, Findings& out) {
  // Identifier around the trigger: OPENAI_API_KEY, x-api-key, "access_token", Bearer.
  size_t s = at;
  while (s > 0 && (is_word(t[s - 1]) || t[s - 1] == '-' || t[s - 1] == '.')) --s;
  size_t e = end;
  while (e < t.size() && (is_word(t[e]) || t[e] == '-')) ++e;
  std::string id = to_lower(t.substr(s, e - s));
  // "Authorization: Basic <base64 user:password>" carries a credential like Bearer does.
  // "Authorization: Basic|Token <credential>" carries a credential like Bearer does.
  const bool auth_scheme = (id == "basic" || id == "token") && e < t.size() && t[e] == ' ' &&
                           icontains(window_before(t, s, 24), "authorization");
  const bool bearer = id == "bearer" || auth_scheme;
  if (id == "basic" && !bearer) return;
  if (!bearer) {
    static constexpr std::string_view kNames[] = {
        "api_key", "apikey", "api-key", "access_key", "accesskey", "access_token", "accesstoken", "auth_token",
        "authtoken", "secret", "token", "client_secret", "clientsecret", "private_token", "refresh_token",
        "session_token", "app_secret", "app_key", "appkey", "account_key", "accountkey", "sas_token",
        "secret_key", "secretkey", "api_token", "apitoken", "access-token", "auth-token", "x-api-key",
        "subscription-key", "subscription_key", "webhook_secret", "signing_secret", "consumer_secret",
        "secret_access_key", "aws_secret_access_key", "bot_token", "gh_token", "github_token", "hf_token",
        "npm_token", "slack_token", "signing_key", "master_key", "license_key", "encryption_key", "credentials",
    };
    bool ok = false;
    for (auto k : kNames) {
      if (id.size() >= k.size() && id.compare(id.size() - k.size(), k.size(), k) == 0 &&
          (id.size() == k.size() || !is_alnum(id[id.size() - k.size() - 1]) || k.size() >= 6)) {
        ok = true;
        break;
      }
    }
    if (!ok) return;
    // Public keys and opaque non-secret tokens (pagination cursors, CSRF/state nonces).
    static constexpr std::string_view kNotSecret[] = {"public", "publishable", "page", "next", "continuation", "sync",
                                                      "cursor", "nonce", "state", "csrf", "xsrf", "idempotency",
                                                      "cache", "sort", "partition", "foreign", "primary"};
    for (auto w : kNotSecret)
      if (id.find(w) != std::string::npos) return;
  }
  size_t p = e;
  auto skip = [&](auto pred) {
    while (p < t.size() && pred(t[p])) ++p;
  };
  if (bearer) {
    if (p >= t.size() || t[p] != ' ') return;
    skip([](char c) { return c == ' '; });
  } else {
    if (p < t.size() && t[p] == '>' && s > 0 && t[s - 1] == '<') {
      // XML element: <apiKey>VALUE</apiKey>
      size_t vs = p + 1, ve = vs;
      while (ve < t.size() && secret_char(t[ve])) ++ve;
      std::string_view v = t.substr(vs, ve - vs);
      if (ve < t.size() && t[ve] == '<' && !is_uuid(v) && random_looking(v, 16)) out.push_back({Kind::kApiKey, vs, ve});
      return;
    }
    skip([](char c) { return c == '"' || c == '\'' || c == ']' || c == ' ' || c == '\t'; });
    if (p >= t.size()) return;
    if (t[p] == ':' || t[p] == '=') {
      ++p;
      if (p < t.size() && (t[p] == '=' || t[p] == '>')) ++p;
    } else if (p >= e + 2 && (t[p - 1] == '\'' || t[p - 1] == '"') && (t[p - 2] == ' ' || t[p - 2] == '\t')) {
      // CLI form: `aws configure set aws_secret_access_key 'VALUE'` (quoted value after a space;
      // the opening quote was skipped above).
    } else {
      return;
    }
    skip([](char c) { return c == ' ' || c == '\t'; });
    if (p < t.size() && (t[p] == '"' || t[p] == '\'' || t[p] == '`')) ++p;
    // "Authorization: Bearer x" is handled by the Bearer trigger.
    if (t.substr(p, 7) == "Bearer " || t.substr(p, 7) == "bearer ") return;
  }
  size_t vs = p;
  while (p < t.size() && secret_char(t[p])) ++p;
  while (p > vs && (t[p - 1] == '.' || t[p - 1] == '-')) --p;
  std::string_view v = t.substr(vs, p - vs);
  if (v.size() < 16 || v.size() > 512 || is_uuid(v) || !random_looking(v, 16)) return;
  if (p < t.size() && (t[p] == '{' || t[p] == '(' || t[p] == '$' || t[p] == '[')) return;  // code, not a value
  out.push_back({Kind::kApiKey, vs, p});
}

void check_webhook(std::string_view t, size_t at, size_t end, Findings& out) {
  size_t e = end;
  while (e < t.size() && !is_space(t[e]) && t[e] != '"' && t[e] != '\'' && t[e] != '`' && t[e] != ')' &&
         t[e] != '<' && t[e] != '>' && static_cast<unsigned char>(t[e]) < 0x80)
    ++e;
  std::string_view tail = t.substr(end, e - end);
  std::string alnum;
  for (char c : tail)
    if (is_alnum(c)) alnum.push_back(c);
  if (alnum.size() < 20 || looks_placeholder(tail) || documented_example(tail)) return;
  out.push_back({Kind::kApiKey, at, e});
}

void check_private_key(std::string_view t, size_t at, Findings& out) {
  // at: start of "-----BEGIN"
  size_t hdr_end = t.find("-----", at + 10);
  if (hdr_end == std::string_view::npos || hdr_end - at > 80) return;
  std::string_view label = t.substr(at + 11, hdr_end - at - 11);
  if (label.find("PRIVATE KEY") == std::string_view::npos) return;
  const size_t body = hdr_end + 5;
  // Key material: base64 lines, possibly JSON-escaped ("\n") or indented;
  // RFC 1421 header lines ("Proc-Type: ...") are skipped. Prose stops it.
  int b64 = 0, run = 0, longest = 0;
  size_t last_b64 = body;
  size_t i = body;
  bool line_start = true;
  while (i < t.size()) {
    char c = t[i];
    if (t.substr(i, 8) == "-----END") break;
    if (c == '\\' && i + 1 < t.size() && (t[i + 1] == 'n' || t[i + 1] == 'r')) {
      i += 2;
      run = 0;
      line_start = true;
      continue;
    }
    if (c == '\n' || c == '\r') {
      ++i;
      run = 0;
      line_start = true;
      continue;
    }
    if (line_start) {
      size_t le = i;
      while (le < t.size() && t[le] != '\n' && !(t[le] == '\\' && le + 1 < t.size() && t[le + 1] == 'n')) ++le;
      std::string_view ln = t.substr(i, le - i);
      if (ln.find(':') != std::string_view::npos && (ln.find("Proc-Type") != std::string_view::npos ||
                                                       ln.find("DEK-Info") != std::string_view::npos ||
                                                       ln.find("Comment") != std::string_view::npos ||
                                                       ln.find("Version") != std::string_view::npos)) {
        i = le;
        continue;
      }
      line_start = false;
    }
    if (is_alnum(c) || c == '+' || c == '/' || c == '=') {
      ++b64;
      ++run;
      longest = std::max(longest, run);
      last_b64 = i + 1;
    } else if (c == ' ' || c == '\t' || c == '"') {
      // indentation, YAML/JSON quoting
    } else {
      break;
    }
    ++i;
  }
  if (b64 < 64 || longest < 40) return;
  size_t e = last_b64;
  if (t.substr(i, 8) == "-----END") {
    size_t close = t.find("-----", i + 8);
    e = (close == std::string_view::npos || close - i > 80) ? i + 8 : close + 5;
  }
  out.push_back({Kind::kPrivateKey, at, e});
}

namespace {

bool password_value_ok(std::string_view v, bool natural_language) {
  if (v.size() < 4 || v.size() > 128) return false;
  std::string l = to_lower(v);
  static constexpr std::string_view kPlaceholders[] = {
      "password", "passwort", "pass", "secret", "changeme", "null", "none", "nil", "true", "false", "yes", "no",
      "required", "optional", "string", "hidden", "empty", "test", "admin", "mypassword", "yourpassword", "pwd",
      "undefined", "default", "prompt", "env", "required.", "n/a", "tbd", "xxxx",
      // Values printed in product documentation and folklore, not anyone's password.
      "hunter2", "correcthorsebatterystaple", "p@ssw0rd", "passw0rd", "password123", "password1", "changeit",
      "my-secret-pw", "mysecretpassword", "admin123", "123456", "12345678", "letmein", "s3cr3t", "secret123", "pa55word",
      "example123", "testpassword", "test1234", "postgres", "root", "guest", "demo",
  };
  for (auto p : kPlaceholders)
    if (l == p) return false;
  if (looks_placeholder(v) || v[0] == '$' || v[0] == '/' || v[0] == '~' || v[0] == '%' || v[0] == '{' || v[0] == '[' || v[0] == '(' ||
      v.find("{{") != std::string_view::npos)
    return false;
  // Code, not a value: a call "getpass(" or a dotted reference "os.environ", "settings.DB_PASSWORD".
  for (size_t k = 1; k < v.size(); ++k)
    if (v[k] == '(' && is_word(v[k - 1])) return false;
  {
    size_t k = 0;
    while (k < v.size() && (is_alpha(v[k]) || v[k] == '_')) ++k;
    if (k > 0 && k < v.size() && v[k] == '.' && k + 1 < v.size() && (is_alpha(v[k + 1]) || v[k + 1] == '_')) return false;
  }
  Counts c = counts(v);
  const int symbols = static_cast<int>(v.size()) - c.upper - c.lower - c.digit;
  if (natural_language || v.size() < 6) return (c.digit > 0 || symbols > 0) && (c.upper + c.lower > 0);
  // A plain lower-case word after "password:" is usually prose ("password: required").
  if (c.digit == 0 && symbols == 0 && c.upper == 0) return false;
  return true;
}

}  // namespace

void check_password_word(std::string_view t, size_t at, size_t end, bool ascii_identifier, Findings& out) {
  size_t e = end;
  if (ascii_identifier) {
    size_t s = at;
    while (s > 0 && (is_word(t[s - 1]) || t[s - 1] == '-' || t[s - 1] == '.')) --s;
    while (e < t.size() && (is_word(t[e]) || t[e] == '-')) ++e;
    std::string id = to_lower(t.substr(s, e - s));
    static constexpr std::string_view kBad[] = {"hash", "policy", "length", "reset", "url", "field", "file",
                                                "prompt", "strength", "expir", "rule", "auth", "min", "max",
                                                "label", "placeholder", "regex", "pattern", "hint", "encoder",
                                                "manager", "type", "input", "less", "word_list", "changed"};
    for (auto b : kBad)
      if (id.find(b) != std::string::npos) return;
    auto ends = [&](std::string_view suf) {
      return id.size() >= suf.size() && id.compare(id.size() - suf.size(), suf.size(), suf) == 0;
    };
    if (!(id.find("password") != std::string::npos || id.find("passwd") != std::string::npos || ends("pass") ||
          ends("pwd") || ends("passphrase") || ends("passwort") || ends("kennwort") || ends("passcode") || id == "pw" ||
          ends("_pw") || ends("-pw")) ||
        id == "oldpwd" || ends("passwords"))
      return;
    // Inside a URI ("postgres://user:password@host"): the URI check owns it.
    if (s > 0 && (t[s - 1] == ':' || t[s - 1] == '@') && window_before(t, s, 64).find("://") != std::string_view::npos)
      return;
    if (id.find("passport") != std::string::npos || id.find("compass") != std::string::npos || id == "bypass" ||
        id.find("passage") != std::string::npos || id.find("passeng") != std::string::npos)
      return;
  }
  size_t p = e;
  auto skip_ws = [&] {
    while (p < t.size() && (t[p] == ' ' || t[p] == '\t')) ++p;
  };
  // Separator right after the keyword, or after a short bridge of words
  // ("Password for the admin account: ...", "the root password is ...").
  bool natural = false;
  auto separator_at = [&](size_t q, size_t& after, bool& nat) {
    while (q < t.size() && (t[q] == '"' || t[q] == '\'' || t[q] == ']')) ++q;
    while (q < t.size() && (t[q] == ' ' || t[q] == '\t')) ++q;
    if (q < t.size() && (t[q] == ':' || t[q] == '=')) {
      ++q;
      if (q < t.size() && (t[q] == '=' || t[q] == '>')) ++q;
      after = q;
      nat = false;
      return true;
    }
    static constexpr std::string_view kVerbs[] = {"is ", "was ", "ist ", "est ", "es ", "é ", "是", "为", "為", "は", "lautet ", "will be "};
    for (auto v : kVerbs) {
      if (t.substr(q, v.size()) == v) {
        q += v.size();
        while (q < t.size() && t[q] == ' ') ++q;
        if (q < t.size() && (t[q] == ':')) ++q;
        after = q;
        nat = true;
        return true;
      }
    }
    return false;
  };
  size_t after = 0;
  bool bridged = false;
  // XML element: <password>VALUE</password>
  if (ascii_identifier && p < t.size() && t[p] == '>' && at > 0 && t[at - 1] == '<') {
    size_t vs = p + 1;
    size_t ve = t.find('<', vs);
    if (ve == std::string_view::npos || ve - vs > 128) return;
    std::string_view v = t.substr(vs, ve - vs);
    if (password_value_ok(v, false)) out.push_back({Kind::kPassword, vs, ve});
    return;
  }
  if (!separator_at(p, after, natural)) {
    size_t q = p;
    int words = 0;
    while (q < t.size() && q - p < 48 && words <= 5) {
      char c = t[q];
      // The bridge is a few plain words ("for the admin account").
      if (!(is_alnum(c) || c == ' ' || c == '_' || c == '-' || c == '"' || c == '\'' || c == ':' || c == '=' ||
            static_cast<unsigned char>(c) >= 0x80))
        break;
      if (c == ' ') ++words;
      if ((c == ' ' && separator_at(q, after, natural)) || ((c == ':' || c == '=') && separator_at(q, after, natural))) {
        bridged = true;
        break;
      }
      ++q;
    }
    if (!bridged) return;
    natural = true;  // bridged forms must look like a password, not prose
  }
  p = after;
  skip_ws();
  char quote = 0;
  if (p < t.size() && (t[p] == '"' || t[p] == '\'' || t[p] == '`')) quote = t[p++];
  size_t vs = p;
  if (quote) {
    while (p < t.size() && t[p] != quote && t[p] != '\n' && p - vs <= 128) ++p;
    if (p >= t.size() || t[p] != quote) return;
  } else {
    while (p < t.size() && !is_space(t[p]) && static_cast<unsigned char>(t[p]) < 0x80 && t[p] != '"' &&
           t[p] != '\'' && t[p] != '`') {
      // "...&useSSL=true": the next query/connection-string parameter starts.
      if ((t[p] == '&' || t[p] == ';') && p > vs) {
        size_t q = p + 1;
        while (q < t.size() && (is_word(t[q]) || t[q] == '.')) ++q;
        if (q > p + 1 && q < t.size() && t[q] == '=') break;
      }
      ++p;
    }
    while (p > vs && (t[p - 1] == '.' || t[p - 1] == ',' || t[p - 1] == ';' || t[p - 1] == ')')) --p;
  }
  std::string_view v = t.substr(vs, p - vs);
  if (!password_value_ok(v, natural)) return;
  out.push_back({Kind::kPassword, vs, p});
}

void check_uri_credentials(std::string_view t, size_t at, Findings& out) {
  // at points to "://"; authority runs to the first '/', whitespace or quote.
  size_t s = at + 3;
  size_t e = s;
  while (e < t.size() && !is_space(t[e]) && t[e] != '/' && t[e] != '"' && t[e] != '\'' && t[e] != '`' &&
         t[e] != '?' && t[e] != '#' && t[e] != '>' && static_cast<unsigned char>(t[e]) < 0x80)
    ++e;
  std::string_view auth = t.substr(s, e - s);
  size_t amp = auth.rfind('@');
  if (amp == std::string_view::npos) return;
  std::string_view userinfo = auth.substr(0, amp);
  size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return;
  std::string_view pw = userinfo.substr(colon + 1);
  if (pw.size() < 3 || looks_placeholder(pw)) return;
  std::string l = to_lower(pw);
  if (l == "password" || l == "pass" || l == "pwd" || l == "secret" || pw[0] == '$' || pw[0] == '<' || pw[0] == '{')
    return;
  size_t vs = s + colon + 1;
  out.push_back({Kind::kPassword, vs, vs + pw.size()});
}

}  // namespace sy::router::detect
