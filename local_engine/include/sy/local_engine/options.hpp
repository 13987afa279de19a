#pragma once
#include <string>

namespace sy::local_engine {

struct EngineOptions {
  std::string model_name = "gpt-oss-20b";  // name clients use in "model"
  std::string model_path;                  // GGUF file (first shard for split files)
  std::string backend = "auto";            // auto | cpu | cuda
  std::string numeric_path = "fast";       // fast | reference
  std::string kv_type = "f32";             // f32 | f16 | q8_0
  int context_tokens = 4096;
  int max_concurrent_sequences = 4;       // sequences batched together; also the number of KV slots
  int max_queued_requests = 64;            // waiting beyond that; more is EngineError::kOverloaded
  int threads = 0;                          // 0: hardware concurrency
  int default_max_tokens = 512;
};

}  // namespace sy::local_engine
