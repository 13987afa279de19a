#pragma once
// Shared by the tokenizer and harmony tests: the real gpt-oss vocabulary from
// the tiny fixture model, loaded once per test binary.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "sy/local_engine/gguf.hpp"
#include "sy/local_engine/tokenizer.hpp"

namespace sy::local_engine::test {

inline std::string tiny_dir() { return std::string(SY_TEST_DATA_DIR) + "/tiny-gpt-oss"; }

inline nlohmann::json load_json(const std::string& name) {
  std::ifstream in(tiny_dir() + "/" + name);
  return nlohmann::json::parse(in);
}

inline const Tokenizer& gpt_oss_tokenizer() {
  static const std::unique_ptr<Tokenizer> tok = [] {
    auto file = gguf::File::open(tiny_dir() + "/tiny-gpt-oss.gguf");
    if (!file) {
      ADD_FAILURE() << file.error();
      std::abort();
    }
    auto t = Tokenizer::from_gguf(**file);
    if (!t) {
      ADD_FAILURE() << t.error();
      std::abort();
    }
    return std::move(*t);
  }();
  return *tok;
}

}  // namespace sy::local_engine::test
