#pragma once
// MEDICAL: a sentence that ties an identifiable patient (name or record
// number) to a diagnosis, condition or medication. The Hyperscan pass finds
// sentences with a clinical cue; PCRE2 then looks for the patient identifier.
#include <string_view>
#include <vector>

#include "detect/common.hpp"

namespace sy::router::detect {

// Sentence holding byte `pos`: [start, end).
std::pair<size_t, size_t> sentence_around(std::string_view t, size_t pos);
// Appends a MEDICAL finding for the sentence when it identifies a patient.
void check_medical_sentence(std::string_view t, size_t start, size_t end, Findings& out);

}  // namespace sy::router::detect
