#pragma once
// The mixture-of-experts feed-forward block of one layer (spec §4.4): router,
// top-k selection, expert SwiGLU MLPs, weighted sum added to the residual.
#include <vector>

#include "sy/kernels/cpu/thread_pool.hpp"
#include "sy/local_engine/model.hpp"

namespace sy::local_engine::model {

// x: n_tokens rows of n_embd floats, updated in place. margin_sink (optional,
// n_tokens entries) takes the minimum router margin seen per token.
void moe_forward(const Model& model, int layer, float* x, int n_tokens, NumericPath path,
                 kernels::cpu::ThreadPool* pool, std::vector<float>* margin_sink);

}  // namespace sy::local_engine::model
