// ChaCha20 block function (RFC 8439 and OpenSSL) and the index-addressable Gaussian stream
// (DESIGN §3, golden.json): the randomness every Haar matrix is built from.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/engine_internals.hpp"
#include "support/backends.hpp"
#include "spheremask/detail/chacha20.hpp"
#include "spheremask/detail/gaussian.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

// golden.json "chacha20_block_key_0to31_counter1_nonce_000000090000004a00000000" (= RFC 8439 §2.3.2).
TEST(ChaCha20, Rfc8439Section232Block) {
  const uint32_t expect[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
                               0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                               0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
  const auto seed = golden_seed();
  uint32_t kw[8];
  detail::key_words(seed.data(), kw);
  const auto nonce_bytes = from_hex("000000090000004a00000000");
  uint32_t nonce[3];
  for (int i = 0; i < 3; ++i) nonce[i] = detail::load_le32(nonce_bytes.data() + 4 * i);
  uint32_t out[16];
  detail::chacha20_block(kw, 1, nonce, out);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(out[i], expect[i]) << "word " << i;
}

// RFC 8439 §2.4.2: the keystream from counter 1 XORed with the "sunscreen" plaintext.
TEST(ChaCha20, Rfc8439Section242Encryption) {
  const std::string plain =
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would "
      "be it.";
  const auto expect = from_hex(
      "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b357"
      "1639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
      "5af90bbf74a35be6b40b8eedf2785e42874d");
  ASSERT_EQ(plain.size(), expect.size());
  const auto seed = golden_seed();
  uint32_t kw[8];
  detail::key_words(seed.data(), kw);
  const uint32_t nonce[3] = {0, 0x4a000000u, 0};
  std::vector<uint8_t> ct(plain.size());
  for (size_t off = 0; off < plain.size(); off += 64) {
    uint32_t words[16];
    detail::chacha20_block(kw, uint32_t(1 + off / 64), nonce, words);
    uint8_t ks[64];
    for (int i = 0; i < 16; ++i) detail::store_le32(ks + 4 * i, words[i]);
    for (size_t i = off; i < std::min(plain.size(), off + 64); ++i) ct[i] = uint8_t(plain[i]) ^ ks[i - off];
  }
  EXPECT_EQ(to_hex(ct), to_hex(expect));
}

// The zero-nonce stream blocks against OpenSSL's ChaCha20 keystream (iv = counter LE ‖ nonce), for
// many keys and counters, including counters near 2^32.
TEST(ChaCha20, StreamBlocksMatchOpenSsl) {
  for (int k = 0; k < 8; ++k) {
    const auto key = keyflow::deterministic_key("chacha-test", golden_seed(), k);
    uint32_t kw[8];
    detail::key_words(key.data(), kw);
    for (uint32_t counter : {0u, 1u, 7u, 1000u, 0x7fffffffu, 0xfffffffeu}) {
      uint8_t iv[16] = {};
      detail::store_le32(iv, counter);
      EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
      ASSERT_NE(ctx, nullptr);
      ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_chacha20(), nullptr, key.data(), iv), 1);
      uint8_t zeros[64] = {}, ks[64];
      int len = 0;
      ASSERT_EQ(EVP_EncryptUpdate(ctx, ks, &len, zeros, 64), 1);
      EVP_CIPHER_CTX_free(ctx);
      uint32_t words[16];
      detail::chacha20_stream_block(kw, counter, words);
      for (int i = 0; i < 16; ++i)
        ASSERT_EQ(words[i], detail::load_le32(ks + 4 * i)) << "key " << k << " counter " << counter << " word " << i;
    }
  }
}

TEST(ChaCha20, WordStreamIsSequentialBlocks) {
  const auto seed = golden_seed();
  detail::ChachaWordStream ws(seed.data());
  uint32_t kw[8];
  detail::key_words(seed.data(), kw);
  for (uint32_t b = 0; b < 3; ++b) {
    uint32_t words[16];
    detail::chacha20_stream_block(kw, b, words);
    for (int i = 0; i < 16; ++i) ASSERT_EQ(ws.next(), words[i]) << "block " << b << " word " << i;
  }
}

// Float rounding of double math: allow one ulp (CPU libm and CUDA may differ in the last bit).
void expect_within_ulp(float got, double want, const std::string& what) {
  const float w = float(want);
  const float ulp = std::nextafter(std::fabs(w), std::numeric_limits<float>::infinity()) - std::fabs(w);
  EXPECT_LE(std::fabs(double(got) - want), double(ulp)) << what << ": got " << got << ", want " << want;
}

const double kGolden16[16] = {-1.027562141418457,  0.612450897693634,   -0.279838502407074,  1.2056337594985962,
                              0.38616806268692017, -1.2276029586791992, -1.4027531147003174, -0.6695385575294495,
                              -0.21835651993751526, -0.3885200023651123, -1.0371372699737549, 0.8301036953926086,
                              0.1837061643600464,  0.3797091245651245,  0.9236490726470947,  0.2865181267261505};
const uint64_t kGoldenFarIdx[3] = {1000, 1001, 65535};
const double kGoldenFar[3] = {-0.2799170911312103, 0.7424534559249878, -0.7762613296508789};

TEST(Gaussian, GoldenStreamElements) {
  const auto seed = golden_seed();
  uint32_t kw[8];
  detail::key_words(seed.data(), kw);
  for (int e = 0; e < 16; ++e) expect_within_ulp(detail::gaussian_element(kw, e), kGolden16[e], "element " + std::to_string(e));
  for (int i = 0; i < 3; ++i)
    expect_within_ulp(detail::gaussian_element(kw, kGoldenFarIdx[i]), kGoldenFar[i],
                      "element " + std::to_string(kGoldenFarIdx[i]));
}

// gaussian_range must agree bit for bit with gaussian_element for every start parity and length
// (the Haar generator reads ranges that start at odd elements and cross block boundaries).
TEST(Gaussian, RangeMatchesElementwise) {
  const auto seed = golden_seed();
  uint32_t kw[8];
  detail::key_words(seed.data(), kw);
  for (uint64_t first : {0ull, 1ull, 15ull, 16ull, 17ull, 31ull, 1000ull, 65533ull})
    for (uint64_t count : {1ull, 2ull, 3ull, 16ull, 17ull, 33ull, 100ull}) {
      std::vector<float> out(count);
      detail::gaussian_range(kw, first, count, out.data());
      for (uint64_t i = 0; i < count; ++i)
        ASSERT_EQ(out[i], detail::gaussian_element(kw, first + i)) << "first " << first << " count " << count << " i " << i;
    }
}

// Cheap distribution sanity: mean 0, variance 1, and both halves of a Box-Muller pair are used.
TEST(Gaussian, MomentsOfTheStream) {
  const auto key = keyflow::deterministic_key("gaussian-moments", golden_seed(), 0);
  const size_t N = 200000;
  const auto z = gaussian_stream(key.data(), N);
  double s1 = 0, s2 = 0, s4 = 0, s_even_odd = 0;
  for (size_t i = 0; i < N; ++i) { s1 += z[i]; s2 += double(z[i]) * z[i]; s4 += std::pow(double(z[i]), 4); }
  for (size_t i = 0; i + 1 < N; i += 2) s_even_odd += double(z[i]) * z[i + 1];
  // Standard errors: mean 1/√N, E[z²] √(2/N), E[z⁴] √(96/N), pair correlation 1/√(N/2). Bounds are 6 SE.
  EXPECT_NEAR(s1 / N, 0.0, 6 / std::sqrt(double(N)));
  EXPECT_NEAR(s2 / N, 1.0, 6 * std::sqrt(2.0 / N));
  EXPECT_NEAR(s4 / N, 3.0, 6 * std::sqrt(96.0 / N));
  EXPECT_NEAR(s_even_odd / (N / 2), 0.0, 6 / std::sqrt(N / 2.0));
}

// Each backend's gaussian() produces the same stream (within an ulp) as the shared detail code.
class GaussianBackendTest : public BackendTest {};

TEST_P(GaussianBackendTest, BackendStreamMatchesGolden) {
  Params p;
  p.m = p.n = 64;
  p.alpha = 8;
  p.allow_weak = true;
  auto engine = make_engine(p, backend());
  const auto seed = golden_seed();
  std::vector<float> out(16);
  internal::EngineInternals::backend(*engine).gaussian(seed.data(), 0, 16, out.data());
  for (int e = 0; e < 16; ++e) expect_within_ulp(out[e], kGolden16[e], "element " + std::to_string(e));
  std::vector<float> far(65536);
  internal::EngineInternals::backend(*engine).gaussian(seed.data(), 0, far.size(), far.data());
  for (int i = 0; i < 3; ++i)
    expect_within_ulp(far[kGoldenFarIdx[i]], kGoldenFar[i], "element " + std::to_string(kGoldenFarIdx[i]));
  // Offset start: elements 1001.. equal the corresponding slice of the full range.
  std::vector<float> off(37);
  internal::EngineInternals::backend(*engine).gaussian(seed.data(), 1001, off.size(), off.data());
  for (size_t i = 0; i < off.size(); ++i) {
    const float ref = far[1001 + i];
    EXPECT_NEAR(off[i], ref, std::fabs(ref) * 2e-7f + 1e-30f) << "element " << 1001 + i;
  }
}

INSTANTIATE_BACKENDS(GaussianBackendTest);

}  // namespace
}  // namespace spheremask
