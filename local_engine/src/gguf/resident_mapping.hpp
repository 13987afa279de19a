#pragma once
// Makes a model file's read-only mapping resident and cheap to stream through.
#include <cstdint>

namespace sy::local_engine::gguf::detail {

// Best effort, when the file fits in available memory: page tables populated
// at load (no page faults mid-request), mapped with huge pages where the page
// cache allows. `fd` is the open file behind `map`. Returns the bytes mapped
// with 2 MB pages (0 when not measured).
uint64_t make_resident(void* map, uint64_t size, int fd);

}  // namespace sy::local_engine::gguf::detail
