#pragma once
// Policy configuration: breakers, retries, keys, budgets, rate limits.
namespace sy::policies {

struct PolicyOptions {};

}  // namespace sy::policies
