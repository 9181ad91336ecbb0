// SHA-256 (the shared detail code that the GPU verifier runs, and the OpenSSL wrapper), HMAC, HKDF and
// AES-256-GCM held to OpenSSL and to the published known-answer vectors.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include <random>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "spheremask/detail/sha256.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "support/expect_error.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

std::span<const uint8_t> bytes_of(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string detail_sha_hex(std::span<const uint8_t> data) {
  uint8_t out[32];
  detail::sha256(data.data(), data.size(), out);
  return to_hex(out);
}

std::string openssl_sha_hex(std::span<const uint8_t> data) {
  uint8_t out[32];
  SHA256(data.data(), data.size(), out);
  return to_hex(out);
}

std::vector<uint8_t> pattern(size_t len, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(len);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(detail_sha_hex(bytes_of("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(detail_sha_hex(bytes_of("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(detail_sha_hex(bytes_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  EXPECT_EQ(detail_sha_hex(bytes_of(million)), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(to_hex(crypto::sha256(bytes_of("abc"))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Every length 0..300 crosses the padding boundaries (55/56/63/64 bytes and multiples).
TEST(Sha256, DetailMatchesOpenSslForAllLengthsTo300) {
  const auto data = pattern(300, 7);
  for (size_t len = 0; len <= 300; ++len) {
    const std::span<const uint8_t> s(data.data(), len);
    ASSERT_EQ(detail_sha_hex(s), openssl_sha_hex(s)) << "length " << len;
    ASSERT_EQ(to_hex(crypto::sha256(s)), openssl_sha_hex(s)) << "length " << len;
  }
}

TEST(Sha256, OneMebibyteAndIncrementalChunks) {
  const auto data = pattern(1 << 20, 11);
  const std::string want = openssl_sha_hex(data);
  EXPECT_EQ(detail_sha_hex(data), want);
  // Incremental updates with irregular chunk sizes (including 0 and exact 64-byte blocks).
  std::mt19937 rng(3);
  for (int trial = 0; trial < 5; ++trial) {
    detail::Sha256 h;
    crypto::Sha256 o;
    size_t pos = 0;
    while (pos < data.size()) {
      size_t take = std::min<size_t>(data.size() - pos, rng() % 200 == 0 ? 0 : (rng() % 3 == 0 ? 64 : rng() % 1000));
      h.update(data.data() + pos, take);
      o.update(data.data() + pos, take);
      pos += take;
    }
    uint8_t out[32];
    h.final(out);
    EXPECT_EQ(to_hex(out), want) << "trial " << trial;
    EXPECT_EQ(to_hex(o.final()), want) << "trial " << trial;
  }
}

std::string openssl_hmac_hex(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  uint8_t out[32];
  unsigned int len = 0;
  static const uint8_t empty = 0;  // OpenSSL treats a null key as "no key": pass a real pointer
  HMAC(EVP_sha256(), key.empty() ? &empty : key.data(), int(key.size()), data.data(), data.size(), out, &len);
  return to_hex({out, len});
}

TEST(Hmac, Rfc4231Vectors) {
  const std::vector<uint8_t> k1(20, 0x0b);
  EXPECT_EQ(to_hex(crypto::hmac_sha256(k1, bytes_of("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const std::string jefe = "Jefe";
  EXPECT_EQ(to_hex(crypto::hmac_sha256(bytes_of(jefe), bytes_of("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Case 6: a key longer than the block size is hashed first.
  const std::vector<uint8_t> k6(131, 0xaa);
  EXPECT_EQ(to_hex(crypto::hmac_sha256(k6, bytes_of("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // The empty key is a valid HMAC key (RFC 2104 pads it with zeros); HMAC-SHA-256("", "").
  EXPECT_EQ(to_hex(crypto::hmac_sha256({}, {})), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Hmac, MatchesOpenSslOneShot) {
  for (size_t klen : {0, 1, 16, 32, 63, 64, 65, 200})
    for (size_t dlen : {0, 1, 55, 64, 1000}) {
      const auto key = pattern(klen, uint32_t(klen));
      const auto data = pattern(dlen, uint32_t(dlen + 1000));
      ASSERT_EQ(to_hex(crypto::hmac_sha256(key, data)), openssl_hmac_hex(key, data)) << klen << "/" << dlen;
      // The incremental interface too, split at an arbitrary point.
      crypto::HmacSha256 h(key);
      h.update(data.data(), dlen / 3).update(data.data() + dlen / 3, dlen - dlen / 3);
      ASSERT_EQ(to_hex(h.final()), openssl_hmac_hex(key, data)) << klen << "/" << dlen;
    }
}

std::vector<uint8_t> openssl_hkdf(int mode, std::span<const uint8_t> salt, std::span<const uint8_t> key,
                                  std::span<const uint8_t> info, size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  char digest[] = "SHA256";
  std::vector<OSSL_PARAM> params;
  params.push_back(OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0));
  params.push_back(OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode));
  params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()), key.size()));
  if (!salt.empty())
    params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<uint8_t*>(salt.data()), salt.size()));
  if (!info.empty())
    params.push_back(OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<uint8_t*>(info.data()), info.size()));
  params.push_back(OSSL_PARAM_construct_end());
  std::vector<uint8_t> out(len);
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params.data());
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) throw std::runtime_error("EVP_KDF_derive failed");
  return out;
}

TEST(Hkdf, Rfc5869TestCase1) {
  const std::vector<uint8_t> ikm(22, 0x0b);
  const auto salt = from_hex("000102030405060708090a0b0c");
  const auto info = from_hex("f0f1f2f3f4f5f6f7f8f9");
  const auto prk = crypto::hkdf_extract(salt, ikm);
  EXPECT_EQ(to_hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
  // OKM (L=42) begins 3cb25f25...; expand32 returns its first block.
  EXPECT_EQ(to_hex(crypto::hkdf_expand32(prk, info)), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf");
}

TEST(Hkdf, MatchesOpenSslKdf) {
  for (size_t slen : {1, 16, 32, 100})
    for (size_t ilen : {1, 12, 64, 300})
      for (size_t nlen : {1, 17, 40}) {
        const auto salt = pattern(slen, uint32_t(slen));
        const auto ikm = pattern(ilen, uint32_t(ilen + 7));
        const auto info = pattern(nlen, uint32_t(nlen + 99));
        const auto prk = crypto::hkdf_extract(salt, ikm);
        ASSERT_EQ(to_hex(prk), to_hex(openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, ikm, {}, 32)));
        ASSERT_EQ(to_hex(crypto::hkdf_expand32(prk, info)),
                  to_hex(openssl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, {}, prk, info, 32)));
        ASSERT_EQ(to_hex(crypto::hkdf_expand32(prk, info)),
                  to_hex(openssl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, salt, ikm, info, 32)));
      }
}

TEST(AesGcm, RoundTripAndEveryTamperFails) {
  const auto key = pattern(32, 1), key2 = pattern(32, 2), nonce = pattern(12, 3);
  const auto aad = pattern(40, 4);
  for (size_t len : {0, 1, 15, 16, 17, 1000}) {
    const auto plain = pattern(len, uint32_t(len + 5));
    uint8_t tag[16];
    const auto ct = crypto::aes256gcm_encrypt(key.data(), nonce.data(), aad, plain, tag);
    ASSERT_EQ(ct.size(), plain.size());
    if (len >= 16) EXPECT_NE(ct, plain);
    std::vector<uint8_t> out;
    ASSERT_TRUE(crypto::aes256gcm_decrypt(key.data(), nonce.data(), aad, ct, tag, out));
    EXPECT_EQ(out, plain);
    std::vector<uint8_t> none;
    EXPECT_FALSE(crypto::aes256gcm_decrypt(key2.data(), nonce.data(), aad, ct, tag, none)) << "wrong key, len " << len;
    auto bad_aad = aad;
    bad_aad[7] ^= 1;
    EXPECT_FALSE(crypto::aes256gcm_decrypt(key.data(), nonce.data(), bad_aad, ct, tag, none)) << "wrong aad";
    EXPECT_FALSE(crypto::aes256gcm_decrypt(key.data(), nonce.data(), {}, ct, tag, none)) << "missing aad";
    for (size_t i = 0; i < ct.size(); i += 1 + ct.size() / 7) {
      auto bad = ct;
      bad[i] ^= 0x80;
      EXPECT_FALSE(crypto::aes256gcm_decrypt(key.data(), nonce.data(), aad, bad, tag, none)) << "flipped byte " << i;
    }
    uint8_t bad_tag[16];
    std::copy(tag, tag + 16, bad_tag);
    bad_tag[15] ^= 1;
    EXPECT_FALSE(crypto::aes256gcm_decrypt(key.data(), nonce.data(), aad, ct, bad_tag, none)) << "flipped tag";
    EXPECT_TRUE(none.empty());
  }
}

TEST(Seal, RoundTripFreshNonceAndFailures) {
  const auto kb = pattern(32, 10), kb2 = pattern(32, 11);
  const SecretKey key(std::span<const uint8_t, 32>(kb.data(), 32)), other(std::span<const uint8_t, 32>(kb2.data(), 32));
  const auto plain = pattern(333, 12);
  const auto aad = pattern(20, 13);
  const auto s1 = seal(key, plain, aad);
  const auto s2 = seal(key, plain, aad);
  EXPECT_EQ(s1.size(), 4 + 2 + 12 + plain.size() + 16);
  EXPECT_EQ(std::string(s1.begin(), s1.begin() + 4), "SMSL");
  EXPECT_NE(s1, s2) << "each seal must use a fresh nonce";
  EXPECT_EQ(open_sealed(key, s1, aad), plain);
  EXPECT_EQ(open_sealed(key, s2, aad), plain);
  EXPECT_EQ(error_code_of([&] { open_sealed(other, s1, aad); }), ErrorCode::Crypto);
  EXPECT_EQ(error_code_of([&] { open_sealed(key, s1, {}); }), ErrorCode::Crypto);
  for (size_t i : {size_t(6), size_t(20), s1.size() - 1}) {  // nonce, ciphertext, tag
    auto bad = s1;
    bad[i] ^= 4;
    EXPECT_EQ(error_code_of([&] { open_sealed(key, bad, aad); }), ErrorCode::Crypto) << "byte " << i;
  }
  auto bad_magic = s1;
  bad_magic[0] = 'X';
  EXPECT_EQ(error_code_of([&] { open_sealed(key, bad_magic, aad); }), ErrorCode::InvalidRecord);
  auto bad_version = s1;
  bad_version[4] = 2;
  EXPECT_EQ(error_code_of([&] { open_sealed(key, bad_version, aad); }), ErrorCode::InvalidRecord);
  for (size_t len = 0; len < 34; ++len)
    EXPECT_EQ(error_code_of([&] { open_sealed(key, std::span<const uint8_t>(s1.data(), len), aad); }), ErrorCode::InvalidRecord)
        << "truncated to " << len;
  // Truncation that keeps the minimum size still fails authentication.
  EXPECT_EQ(error_code_of([&] { open_sealed(key, std::span<const uint8_t>(s1.data(), s1.size() - 1), aad); }), ErrorCode::Crypto);
  // An empty payload is a valid payload.
  EXPECT_TRUE(open_sealed(key, seal(key, {}, {}), {}).empty());
}

TEST(Crypto, ConstantTimeCompareAndRandom) {
  const auto a = pattern(32, 1);
  auto b = a;
  EXPECT_TRUE(crypto::equal_ct(a.data(), b.data(), 32));
  b[31] ^= 1;
  EXPECT_FALSE(crypto::equal_ct(a.data(), b.data(), 32));
  uint8_t r1[32] = {}, r2[32] = {};
  crypto::random_bytes(r1, 32);
  crypto::random_bytes(r2, 32);
  EXPECT_NE(to_hex(r1), to_hex(r2));
}

}  // namespace
}  // namespace spheremask
