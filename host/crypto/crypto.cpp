#include "crypto/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "spheremask/error.hpp"

namespace spheremask::crypto {
namespace {

[[noreturn]] void fail(const char* what) {
  const unsigned long e = ERR_get_error();
  char buf[256] = "no OpenSSL error queued";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  throw Error(ErrorCode::Crypto, std::string("OpenSSL ") + what + " failed: " + buf);
}

void check(int ok, const char* what) {
  if (ok != 1) fail(what);
}

}  // namespace

void random_bytes(uint8_t* out, size_t len) {
  while (len > 0) {
    const int chunk = len > (1u << 30) ? (1 << 30) : int(len);
    check(RAND_bytes(out, chunk), "RAND_bytes");
    out += chunk;
    len -= size_t(chunk);
  }
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) fail("EVP_MD_CTX_new");
  check(EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
Sha256& Sha256::update(const void* data, size_t len) {
  check(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, len), "EVP_DigestUpdate");
  return *this;
}
Digest Sha256::final() {
  Digest d;
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), d.data(), &len), "EVP_DigestFinal_ex");
  return d;
}

Digest sha256(std::span<const uint8_t> data) { return Sha256().update(data).final(); }

HmacSha256::HmacSha256(std::span<const uint8_t> key) {
  mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!mac_) fail("EVP_MAC_fetch(HMAC)");
  ctx_ = EVP_MAC_CTX_new(static_cast<EVP_MAC*>(mac_));
  if (!ctx_) { EVP_MAC_free(static_cast<EVP_MAC*>(mac_)); fail("EVP_MAC_CTX_new"); }
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_END};
  // An empty key is a valid HMAC key, but OpenSSL reads a null key pointer as "no key given" and fails.
  static const uint8_t kEmptyKey = 0;
  const uint8_t* key_ptr = key.empty() ? &kEmptyKey : key.data();
  if (EVP_MAC_init(static_cast<EVP_MAC_CTX*>(ctx_), key_ptr, key.size(), params) != 1) {
    EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(ctx_));
    EVP_MAC_free(static_cast<EVP_MAC*>(mac_));
    fail("EVP_MAC_init(HMAC-SHA256)");
  }
}
HmacSha256::~HmacSha256() {
  EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(ctx_));
  EVP_MAC_free(static_cast<EVP_MAC*>(mac_));
}
HmacSha256& HmacSha256::update(const void* data, size_t len) {
  check(EVP_MAC_update(static_cast<EVP_MAC_CTX*>(ctx_), static_cast<const unsigned char*>(data), len),
        "EVP_MAC_update");
  return *this;
}
Digest HmacSha256::final() {
  Digest d;
  size_t len = 0;
  check(EVP_MAC_final(static_cast<EVP_MAC_CTX*>(ctx_), d.data(), &len, d.size()), "EVP_MAC_final");
  return d;
}

Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  return HmacSha256(key).update(data.data(), data.size()).final();
}

Digest hkdf_extract(std::span<const uint8_t> salt, std::span<const uint8_t> ikm) {
  return hmac_sha256(salt, ikm);  // RFC 5869 §2.2
}

Digest hkdf_expand32(std::span<const uint8_t> prk, std::span<const uint8_t> info) {
  const uint8_t counter = 1;  // T(1) = HMAC(PRK, info ‖ 0x01): one block is all 32 bytes need
  return HmacSha256(prk).update(info.data(), info.size()).update(&counter, 1).final();
}

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t len) { return CRYPTO_memcmp(a, b, len) == 0; }

namespace {
struct CipherCtx {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  CipherCtx() { if (!ctx) fail("EVP_CIPHER_CTX_new"); }
  ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
};
}  // namespace

std::vector<uint8_t> aes256gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12],
                                       std::span<const uint8_t> aad, std::span<const uint8_t> plaintext,
                                       uint8_t tag[16]) {
  CipherCtx c;
  check(EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, key, nonce), "EVP_EncryptInit_ex(AES-256-GCM)");
  int len = 0;
  if (!aad.empty()) check(EVP_EncryptUpdate(c.ctx, nullptr, &len, aad.data(), int(aad.size())), "AES-GCM aad");
  std::vector<uint8_t> out(plaintext.size());
  size_t done = 0;
  while (done < plaintext.size()) {  // chunks keep every length within int
    const int chunk = int(std::min<size_t>(plaintext.size() - done, 1u << 30));
    check(EVP_EncryptUpdate(c.ctx, out.data() + done, &len, plaintext.data() + done, chunk), "AES-GCM encrypt");
    done += size_t(len);
  }
  check(EVP_EncryptFinal_ex(c.ctx, out.data() + done, &len), "AES-GCM final");
  check(EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), "AES-GCM get tag");
  return out;
}

bool aes256gcm_decrypt(const uint8_t key[32], const uint8_t nonce[12], std::span<const uint8_t> aad,
                       std::span<const uint8_t> ciphertext, const uint8_t tag[16], std::vector<uint8_t>& out) {
  CipherCtx c;
  check(EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, key, nonce), "EVP_DecryptInit_ex(AES-256-GCM)");
  int len = 0;
  if (!aad.empty()) check(EVP_DecryptUpdate(c.ctx, nullptr, &len, aad.data(), int(aad.size())), "AES-GCM aad");
  std::vector<uint8_t> plain(ciphertext.size());
  size_t done = 0;
  while (done < ciphertext.size()) {
    const int chunk = int(std::min<size_t>(ciphertext.size() - done, 1u << 30));
    check(EVP_DecryptUpdate(c.ctx, plain.data() + done, &len, ciphertext.data() + done, chunk), "AES-GCM decrypt");
    done += size_t(len);
  }
  uint8_t tag_copy[16];
  for (int i = 0; i < 16; ++i) tag_copy[i] = tag[i];
  check(EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, 16, tag_copy), "AES-GCM set tag");
  if (EVP_DecryptFinal_ex(c.ctx, plain.data() + done, &len) != 1) {
    ERR_clear_error();
    OPENSSL_cleanse(plain.data(), plain.size());
    return false;
  }
  out = std::move(plain);
  return true;
}

}  // namespace spheremask::crypto
