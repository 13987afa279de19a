#include "sy/gateway/audit/files.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <system_error>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sy::gateway::audit {
namespace fs = std::filesystem;
namespace {

// "<stem>-YYYYMMDD-N<ext>" -> (day stamp, N); nullopt for other names.
std::optional<std::pair<std::string, unsigned>> parse_rotated(const std::string& name, const std::string& stem,
                                                              const std::string& ext) {
  if (name.size() <= stem.size() + ext.size() + 11) return std::nullopt;
  if (name.compare(0, stem.size(), stem) != 0 || name[stem.size()] != '-') return std::nullopt;
  if (name.compare(name.size() - ext.size(), ext.size(), ext) != 0) return std::nullopt;
  std::string mid = name.substr(stem.size() + 1, name.size() - stem.size() - 1 - ext.size());
  // mid = YYYYMMDD-N
  if (mid.size() < 10 || mid[8] != '-') return std::nullopt;
  std::string date = mid.substr(0, 8), index = mid.substr(9);
  auto digits = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (!digits(date) || !digits(index) || index.size() > 9) return std::nullopt;
  return std::pair{date, static_cast<unsigned>(std::stoul(index))};
}

}  // namespace

std::string day_stamp(int64_t day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  return fmt::format("{:04}{:02}{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

std::optional<int64_t> day_of_iso_time(const std::string& iso) {
  int y = 0;
  unsigned m = 0, d = 0;
  if (iso.size() < 10 || iso[4] != '-' || iso[7] != '-') return std::nullopt;
  try {
    y = std::stoi(iso.substr(0, 4));
    m = static_cast<unsigned>(std::stoul(iso.substr(5, 2)));
    d = static_cast<unsigned>(std::stoul(iso.substr(8, 2)));
  } catch (...) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

fs::path rotated_path(const fs::path& active, int64_t day, unsigned index) {
  return active.parent_path() /
         fmt::format("{}-{}-{:04}{}", active.stem().string(), day_stamp(day), index, active.extension().string());
}

std::vector<fs::path> rotated_files(const fs::path& active) {
  const std::string stem = active.stem().string(), ext = active.extension().string();
  fs::path dir = active.parent_path().empty() ? fs::path(".") : active.parent_path();
  std::vector<std::tuple<std::string, unsigned, fs::path>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    if (auto p = parse_rotated(it->path().filename().string(), stem, ext)) {
      found.emplace_back(p->first, p->second, active.parent_path() / it->path().filename());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(std::get<2>(f));
  return out;
}

std::vector<fs::path> chain_files(const fs::path& active) {
  auto out = rotated_files(active);
  std::error_code ec;
  if (fs::exists(active, ec)) out.push_back(active);
  return out;
}

std::vector<std::string> order_by_first_seq(std::vector<std::string> files) {
  auto first_seq = [](const std::string& file) -> std::optional<uint64_t> {
    std::ifstream in(file, std::ios::binary);
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) return std::nullopt;
    return j["seq"].get<uint64_t>();
  };
  std::vector<std::pair<std::optional<uint64_t>, std::string>> keyed;
  for (auto& f : files) keyed.emplace_back(first_seq(f), std::move(f));
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    return a.first.has_value() && *a.first < *b.first;
  });
  std::vector<std::string> out;
  for (auto& k : keyed) out.push_back(std::move(k.second));
  return out;
}

}  // namespace sy::gateway::audit
