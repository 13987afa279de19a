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
    } else if (starts_with_any(s.substr(i), {"【", "〔", "「", "『", "〖", "《"})) {
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
    if (!tag) return;
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
  if (starts_with_any(rest, {"-", "–", "—", ":", "|", "/", "//", "·", "：", "★", "▲", "(", "（"}) &&
      !(rest.size() > 1 && rest[0] == '-' && is_alnum(rest[1]))) {
    out.push_back({Kind::kConfidentialMarker, at, end});
  }
}

}  // namespace sy::router::detect
