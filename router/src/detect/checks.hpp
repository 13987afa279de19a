#pragma once
// Checksum and structure rules of the numeric identifiers.
#include <string_view>

namespace sy::router::detect {

bool luhn_ok(std::string_view digits);
// Major-brand prefix and length (Visa, Mastercard incl. 2-series, Amex,
// Discover, JCB, UnionPay, Diners, Maestro).
bool card_brand_ok(std::string_view digits);
// Published processor test cards (Stripe, Adyen, Braintree, PayPal, ...).
bool is_test_card(std::string_view digits);
// 18 chars, region code, plausible birth date, ISO 7064 MOD 11-2.
bool cn_resident_id_ok(std::string_view id18);
// Area 001-899 except 666, group 01-99, serial 0001-9999; known placeholders rejected.
bool us_ssn_ok(std::string_view digits9);
// `compact` is the IBAN without separators, upper case.
bool iban_ok(std::string_view compact);
int iban_length(std::string_view country);  // 0 when unknown
bool is_example_iban(std::string_view compact);

}  // namespace sy::router::detect
