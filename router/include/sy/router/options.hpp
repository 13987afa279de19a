#pragma once
// Router configuration (config/src/routing_section.cpp fills it from YAML).
#include <map>
#include <string>
#include <vector>

namespace sy::router {

struct ModelPrice {
  double input_per_mtok = 0.0;   // USD per million prompt tokens
  double output_per_mtok = 0.0;  // USD per million completion tokens
};

struct RouterOptions {
  std::map<std::string, ModelPrice> pricing;  // model name -> price
};

}  // namespace sy::router
