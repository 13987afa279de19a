#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace sy::test {

namespace {

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) throw std::runtime_error("EVP_EC_gen failed");
  return key;
}

void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) throw std::runtime_error("bad extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* make_cert(EVP_PKEY* key, const char* cn, X509* issuer, EVP_PKEY* issuer_key, const char* san, bool ca,
                long serial) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : cert;
  add_ext(cert, iss, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (ca) add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  if (san) add_ext(cert, iss, NID_subject_alt_name, san);
  if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256())) throw std::runtime_error("X509_sign failed");
  return cert;
}

void write_pem(const std::string& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_pem(const std::string& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

}  // namespace

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

const TestPki& TestPki::get() {
  static const TestPki pki = [] {
    TestPki p;
    p.dir = make_temp_dir("sy-pki");
    EVP_PKEY* ca_key = new_key();
    X509* ca = make_cert(ca_key, "Switchyard Test CA", nullptr, nullptr, nullptr, true, 1);
    EVP_PKEY* server_key = new_key();
    X509* server = make_cert(server_key, "localhost", ca, ca_key, "IP:127.0.0.1,DNS:localhost", false, 2);
    EVP_PKEY* wrong_key = new_key();
    X509* wrong = make_cert(wrong_key, "wrong.example", ca, ca_key, "DNS:wrong.example", false, 3);
    EVP_PKEY* rogue_key = new_key();
    X509* rogue = make_cert(rogue_key, "localhost", nullptr, nullptr, "IP:127.0.0.1,DNS:localhost", false, 4);
    p.ca_cert = p.dir + "/ca.pem";
    p.server_cert = p.dir + "/server.pem";
    p.server_key = p.dir + "/server.key";
    p.wrong_host_cert = p.dir + "/wrong.pem";
    p.wrong_host_key = p.dir + "/wrong.key";
    p.untrusted_cert = p.dir + "/rogue.pem";
    p.untrusted_key = p.dir + "/rogue.key";
    write_pem(p.ca_cert, ca);
    write_pem(p.server_cert, server);
    write_pem(p.server_key, server_key);
    write_pem(p.wrong_host_cert, wrong);
    write_pem(p.wrong_host_key, wrong_key);
    write_pem(p.untrusted_cert, rogue);
    write_pem(p.untrusted_key, rogue_key);
    for (X509* c : {ca, server, wrong, rogue}) X509_free(c);
    for (EVP_PKEY* k : {ca_key, server_key, wrong_key, rogue_key}) EVP_PKEY_free(k);
    return p;
  }();
  return pki;
}

}  // namespace sy::test
