// A confidentiality marking counts when it is APPLIED to the content: it
// stands on its own line or opens one (banner, header, footer), sits in a
// tag or bracket, or fills a classification field ("密级：机密",
// "Subject: [CONFIDENTIAL] ..."). The same words inside a sentence are
// discussion, not a marking.
#include <string>

#include "detect/scanners.hpp"

namespace sy::router::detect {
namespace {

bool markup(char c) {
  return c == ' ' || c == '\t' || c == '#' || c == '*' || c == '>' || c == '_' || c == '=' || c == '~' ||
         c == '-' || c == '[' || c == '(' || c == '|' || c == '"' || c == '<' || c == '/' || c == '\r';
}

bool close_markup(char c) {
  return c == ' ' || c == '\t' || c == '*' || c == '_' || c == '=' || c == '~' || c == '-' || c == ']' ||
         c == ')' || c == '|' || c == '"' || c == '>' || c == '.' || c == '!' || c == '/' || c == '\r';
}

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> opts) {
  for (auto o : opts)
    if (s.substr(0, o.size()) == o) return true;
  return false;
}

// Strips leading markup and CJK brackets; returns how much was stripped.
size_t skip_open(std::string_view s, bool& bracket) {
  size_t i = 0;
  while (i < s.size()) {
    if (markup(s[i])) {
      bracket |= s[i] == '[' || s[i] == '(' || s[i] == '<';
      ++i;
    } else if (starts_with_any(s.substr(i), {"【", "〔", "〖"})) {  // not quotes or title marks 「」《》
      bracket = true;
      i += 3;
    } else {
      break;
    }
  }
  return i;
}

bool label_prefix(std::string_view pre) {
  std::string l = to_lower(pre);
  while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '[' || l.back() == '(' || l.back() == '*'))
    l.pop_back();
  static constexpr std::string_view kLabels[] = {
      "subject:", "re:", "fw:", "fwd:", "classification:", "security classification:", "sensitivity:",
      "label:", "marking:", "status:", "密级:", "密级", "保密级别:", "文件密级:", "机密等级:", "klassifizierung:",
      "einstufung:", "vertraulichkeit:", "classification :", "niveau de confidentialité:", "clasificación:",
      "betreff:", "objet:", "asunto:", "主题:", "标题:", "件名:", "機密区分:", "取扱区分:", "document classification:",
      "data classification:", "distribution:", "handling:",
  };
  for (auto k : kLabels) {
    if (l.size() >= k.size() && l.compare(l.size() - k.size(), k.size(), k) == 0) {
      // The label must itself open the line (after markup).
      std::string_view before = std::string_view(l).substr(0, l.size() - k.size());
      bool clean = true;
      for (char c : before) clean &= markup(c);
      if (clean) return true;
    }
  }
  return false;
}

}  // namespace

// "CONFIDENTIAL. Do not forward", "内部资料，请勿外传": a handling instruction
// right after the marker shows it is applied, not discussed.
bool handling_instruction(std::string_view rest) {
  size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '.' || rest[i] == ',' || rest[i] == ';' || rest[i] == '!'))
    ++i;
  if (rest.substr(i, 3) == "，" || rest.substr(i, 3) == "。" || rest.substr(i, 3) == "、") i += 3;
  while (i < rest.size() && rest[i] == ' ') ++i;
  std::string l = to_lower(rest.substr(i, 40));
  static constexpr std::string_view kHandling[] = {
      "do not", "don't", "not for", "for internal", "internal use", "please do not", "no forwarding", "no distribution",
      "not to be", "only for", "for authorized", "for authorised", "handle", "请勿", "注意保密", "严禁", "不得", "禁止",
      "仅供", "仅限", "不要外传", "nicht", "ne pas", "no distribuir", "no reenviar", "non divulgare", "社外秘", "転送",
      "외부", "не распространять"};
  for (auto h : kHandling)
    if (l.compare(0, h.size(), h) == 0) return true;
  return false;
}

// A short line that ends with the marker after a delimiter: a footer
// ("Acme Corp | Confidential", "Page 2 — Internal Only").
bool footer_form(std::string_view pre, std::string_view post) {
  if (pre.size() + post.size() > 100) return false;
  for (char c : post)
    if (!close_markup(c)) return false;
  std::string_view p = pre;
  while (!p.empty() && (p.back() == ' ' || p.back() == '\t')) p.remove_suffix(1);
  for (std::string_view d : {"|", "-", "–", "—", "·", "•", "/", ":", "::"}) {
    if (p.size() >= d.size() && p.substr(p.size() - d.size()) == d) return true;
  }
  return false;
}

void check_marker(std::string_view t, size_t at, size_t end, Findings& out) {
  // Whole-word match for Latin phrases.
  if (at > 0 && is_alnum(t[at - 1])) return;
  if (end < t.size() && is_alnum(t[end]) && is_alpha(t[end - 1])) return;
  size_t ls = line_start(t, at);
  size_t le = line_end(t, end);
  std::string_view pre = t.substr(ls, at - ls);
  std::string_view post = t.substr(end, le - end);
  bool bracket = false;
  size_t skipped = skip_open(pre, bracket);
  bool at_line_start = skipped == pre.size();
  bool labelled = !at_line_start && label_prefix(pre);
  if (!at_line_start && !labelled) {
    // "[DRAFT][CONFIDENTIAL]" or "Subject: Q3 plan [CONFIDENTIAL]": a bracketed tag anywhere on a subject line.
    bool tag = at > 0 && (t[at - 1] == '[' || (at >= 3 && t.substr(at - 3, 3) == "【")) &&
               (post.substr(0, 1) == "]" || post.substr(0, 3) == "】");
    if (!tag && !footer_form(pre, post)) return;
    out.push_back({Kind::kConfidentialMarker, at, end});
    return;
  }
  if (labelled || bracket) {
    out.push_back({Kind::kConfidentialMarker, at, end});
    return;
  }
  // At line start: the rest of the line must be empty/markup, or a delimiter
  // that introduces a handling instruction ("CONFIDENTIAL – do not forward").
  size_t i = 0;
  while (i < post.size() && close_markup(post[i])) ++i;
  if (i == post.size()) {
    out.push_back({Kind::kConfidentialMarker, at, end});
    return;
  }
  std::string_view rest = post;
  while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) rest.remove_prefix(1);
  if ((starts_with_any(rest, {"-", "–", "—", ":", "|", "/", "//", "·", "：", "★", "▲", "(", "（"}) &&
       !(rest.size() > 1 && rest[0] == '-' && is_alnum(rest[1]))) ||
      handling_instruction(post)) {
    out.push_back({Kind::kConfidentialMarker, at, end});
  }
}

}  // namespace sy::router::detect
