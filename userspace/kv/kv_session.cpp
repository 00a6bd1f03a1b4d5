// SPDX-License-Identifier: MIT
#include "kv_session.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/random.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace kv {

Random random_bytes() {
  Random r;
  if (getrandom(r.data(), r.size(), 0) != static_cast<ssize_t>(r.size()))
    throw std::system_error(errno, std::generic_category(), "getrandom");
  return r;
}

sdp::KeyMaterial derive_session(const sdp::KeyMaterial& master, std::string_view label,
                                const Random& client, const Random& server, uint8_t epoch) {
  size_t klen = master.c2s_key.size();
  std::vector<uint8_t> ikm;
  for (const auto* v : {&master.c2s_key, &master.c2s_salt, &master.s2c_key, &master.s2c_salt})
    ikm.insert(ikm.end(), v->begin(), v->end());
  std::vector<uint8_t> salt(client.begin(), client.end());
  salt.insert(salt.end(), server.begin(), server.end());
  std::string info = "sdp-kv/1 " + std::string(label) + " cipher " + std::to_string(master.cipher);
  std::vector<uint8_t> okm(2 * (klen + 4));

  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr), EVP_KDF_free);
  if (!kdf) throw std::runtime_error("OpenSSL: no HKDF");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end(),
  };
  int ok = ctx && EVP_KDF_derive(ctx.get(), okm.data(), okm.size(), params) == 1;
  explicit_bzero(ikm.data(), ikm.size());
  if (!ok) throw std::runtime_error("OpenSSL: HKDF-SHA256 failed");
  sdp::KeyMaterial s;
  s.cipher = master.cipher;
  s.epoch = epoch;
  auto at = okm.begin();
  s.c2s_key.assign(at, at + static_cast<long>(klen));
  at += static_cast<long>(klen);
  s.c2s_salt.assign(at, at + 4);
  at += 4;
  s.s2c_key.assign(at, at + static_cast<long>(klen));
  at += static_cast<long>(klen);
  s.s2c_salt.assign(at, at + 4);
  explicit_bzero(okm.data(), okm.size());
  return s;
}

}  // namespace kv
