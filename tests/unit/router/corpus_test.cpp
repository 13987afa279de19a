// Sensitivity corpus: recall, false-positive rate and exact-span rate on
// tests/data/sensitivity_cases.jsonl. The corpus labels come from the file;
// the classifier never sees `entities` or `notes`.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sy/router/router.hpp"

namespace {

using sy::router::ChatRequest;
using sy::router::Classification;
using sy::router::RequestContext;
using sy::router::Router;
using sy::router::RouterOptions;

struct Gold {
  std::string type;
  int message;
  int64_t start, end;
};

bool overlap_type(const std::string& t) { return t == "MEDICAL" || t == "CONFIDENTIAL_MARKER"; }

TEST(SensitivityCorpus, MeetsRecallFprAndSpanTargets) {
  std::ifstream in(std::string(SY_TEST_DATA_DIR) + "/sensitivity_cases.jsonl");
  ASSERT_TRUE(in.good()) << "corpus missing";
  Router router{RouterOptions{}};
  int pos = 0, tp = 0, neg = 0, fp = 0, spans = 0, spans_found = 0, hard = 0, hard_fp = 0;
  std::map<std::string, std::pair<int, int>> per_type;  // type -> (found, total)
  std::string line;
  std::string misses;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line);
    ChatRequest req;
    req.model = "auto";
    for (const auto& m : j["messages"]) {
      sy::router::Message msg;
      msg.role = m["role"].get<std::string>();
      msg.content = m["content"].get<std::string>();
      req.messages.push_back(std::move(msg));
    }
    Classification c = router.classify(req, RequestContext{});
    const bool gold = j["sensitive"].get<bool>();
    const std::string id = j["id"].get<std::string>();
    if (gold) {
      ++pos;
      if (c.sensitive) ++tp;
      else misses += "  MISS " + id + "\n";
    } else {
      ++neg;
      // Scoring only: the notes say which negatives are hard look-alikes.
      const bool is_hard = j.value("notes", "").rfind("NOT SENSITIVE: hard negative", 0) == 0;
      hard += is_hard;
      hard_fp += is_hard && c.sensitive;
      if (c.sensitive) {
        ++fp;
        misses += "  FP   " + id + ":";
        for (const auto& f : c.findings) misses += " " + f.type + "@" + std::to_string(f.message) + ":" +
                                                   std::to_string(f.start) + "-" + std::to_string(f.end);
        misses += "\n";
      }
    }
    for (const auto& e : j["entities"]) {
      Gold g{e["type"].get<std::string>(), e["message"].get<int>(), e["start"].get<int64_t>(), e["end"].get<int64_t>()};
      ++spans;
      bool found = false;
      for (const auto& f : c.findings) {
        if (f.type != g.type || f.message != g.message || f.field != "content") continue;
        if (overlap_type(g.type) ? (f.start < g.end && g.start < f.end) : (f.start == g.start && f.end == g.end)) {
          found = true;
          break;
        }
      }
      auto& pt = per_type[g.type];
      ++pt.second;
      if (found) {
        ++spans_found;
        ++pt.first;
      } else {
        misses += "  SPAN " + id + " " + g.type + " " + std::to_string(g.message) + ":" + std::to_string(g.start) +
                  "-" + std::to_string(g.end) + " got:";
        for (const auto& f : c.findings)
          if (f.type == g.type) misses += " " + std::to_string(f.message) + ":" + std::to_string(f.start) + "-" + std::to_string(f.end);
        misses += "\n";
      }
    }
  }
  const double recall = 100.0 * tp / pos;
  const double fpr = 100.0 * fp / neg;
  const double span_rate = 100.0 * spans_found / spans;
  std::printf("sensitivity corpus: %d cases (%d sensitive, %d not)\n", pos + neg, pos, neg);
  std::printf("  recall %.2f%% (%d/%d)  false-positive rate %.2f%% (%d/%d)  spans %.2f%% (%d/%d)\n", recall, tp, pos,
              fpr, fp, neg, span_rate, spans_found, spans);
  std::printf("  hard negatives: false-positive rate %.2f%% (%d/%d)\n", hard ? 100.0 * hard_fp / hard : 0.0, hard_fp, hard);
  for (const auto& [type, ft] : per_type)
    std::printf("  %-20s %3d/%3d spans\n", type.c_str(), ft.first, ft.second);
  if (!misses.empty()) std::printf("%s", misses.c_str());
  EXPECT_GE(recall, 99.0);
  EXPECT_LE(fpr, 2.0);
  EXPECT_GE(span_rate, 95.0);
}

}  // namespace
