#pragma once
// A throw-away PKI generated at test time: a CA, a server certificate for
// 127.0.0.1/localhost signed by it, a certificate for the wrong host, and a
// self-signed certificate nobody trusts. PEM files in a temp directory.
#include <string>

namespace sy::test {

struct TestPki {
  std::string dir;
  std::string ca_cert;            // trust anchor the gateway is configured with
  std::string server_cert, server_key;        // SAN IP:127.0.0.1, DNS:localhost
  std::string wrong_host_cert, wrong_host_key;  // SAN DNS:wrong.example only, signed by the CA
  std::string untrusted_cert, untrusted_key;  // self-signed, SAN IP:127.0.0.1

  static const TestPki& get();  // generated once per process
};

std::string make_temp_dir(const std::string& prefix);

}  // namespace sy::test
