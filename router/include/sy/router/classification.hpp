#pragma once
// What the router learned about one request. Findings carry types and
// positions only: the matched values are never stored.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sy::router {

struct Finding {
  std::string type;      // EMAIL, PHONE, ..., or a custom rule name
  int message = -1;      // index into ChatRequest::messages; -1 for tool definitions
  std::string field = "content";  // content | reasoning_content | name | tool_calls[i].arguments | tools[i].description ...
  int64_t start = 0;     // code points into that field of the ORIGINAL text, half-open
  int64_t end = 0;
  std::string detector;  // which detector produced it
  bool sensitive = true; // false for custom rules with level "flag"
};

struct Classification {
  bool sensitive = false;
  bool fail_closed = false;  // classification could not complete: treated as sensitive
  std::string fail_reason;
  std::vector<Finding> findings;

  int64_t prompt_tokens_estimate = 0;
  bool prompt_tokens_exact = false;  // counted by the injected tokenizer
  int64_t max_output_tokens = 0;
  std::string priced_model;          // model whose price was used
  double estimated_cost_usd = 0.0;   // at the cloud price of priced_model
  double estimated_local_cost_usd = 0.0;
  std::optional<int64_t> latency_budget_ms;
  int64_t scanned_bytes = 0;

  // Distinct finding types of sensitive findings, sorted.
  std::vector<std::string> entity_types() const;
};

}  // namespace sy::router
