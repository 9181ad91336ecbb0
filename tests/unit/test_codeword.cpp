// Codewords (DESIGN §3): deterministic keys, Floyd sampling, canonical encoding, verifier/key/MAC key
// against golden.json; uniformity of positions and signs; decode order and ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "crypto/keyflow.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/decode.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

// golden.json "deterministic" (seed 00..1f, template index 0, n = 64, α = 8).
constexpr const char* kKeyQ = "907470a08b80f57adb33a94c789446202ba5367ce5e6d903e060cd4341e67496";
constexpr const char* kKeyC = "d311da8b99773d3f50508521d4fd52d67622488bd6fddf967c0c2b0a0a6a669a";
constexpr const char* kSalt = "30c06047ad782ad7ad9eb1563f7ea394";
constexpr uint32_t kIdx[8] = {10, 22, 28, 29, 37, 45, 48, 56};
constexpr int kSigns[8] = {1, 1, -1, -1, 1, 1, 1, -1};
constexpr const char* kEnc = "534d435701004000000008000a000000160000001c0000001d000000250000002d00000030000000380000008c";
constexpr const char* kVerifier = "95f25940969cca0234e2b1e7105f15a35a2db2248d32f249e44c1b39073f2bfb";
constexpr const char* kKeyDemo = "ab07fd3e8691f84844c0bbd02998961e2d76f7b26b0705d815fa437339c9fea8";
constexpr const char* kMacKey = "4bd043a28888684012e7b2e00ee0d1e4468b4076549cb31abbc034cd1c894f0d";

detail::Codeword golden_codeword() {
  const auto kc = keyflow::deterministic_key("c", golden_seed(), 0);
  detail::Codeword c;
  detail::sample_codeword(kc.data(), 64, 8, &c);
  return c;
}

TEST(Golden, DeterministicKeys) {
  const auto seed = golden_seed();
  EXPECT_EQ(to_hex(keyflow::deterministic_key("Q", seed, 0)), kKeyQ);
  EXPECT_EQ(to_hex(keyflow::deterministic_key("c", seed, 0)), kKeyC);
  const auto salt = keyflow::deterministic_key("salt", seed, 0);
  EXPECT_EQ(to_hex(std::span<const uint8_t>(salt.data(), 16)), kSalt);
  // The index is part of the input: template 1 gets other keys.
  EXPECT_NE(to_hex(keyflow::deterministic_key("Q", seed, 1)), kKeyQ);
  EXPECT_NE(to_hex(keyflow::deterministic_key("Q", seed, uint64_t(1) << 32)), kKeyQ);
}

TEST(Golden, CodewordSampling) {
  const auto c = golden_codeword();
  ASSERT_EQ(c.n, 64u);
  ASSERT_EQ(c.alpha, 8u);
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(c.index[k], kIdx[k]) << "position " << k;
    EXPECT_EQ(c.negative[k] ? -1 : 1, kSigns[k]) << "sign " << k;
  }
}

TEST(Golden, CanonicalEncoding) {
  const auto c = golden_codeword();
  uint8_t out[detail::kMaxEncodedCodeword];
  const size_t len = detail::encode_codeword(c, out);
  EXPECT_EQ(len, detail::encoded_codeword_size(8));
  EXPECT_EQ(to_hex({out, len}), kEnc);
  keyflow::EncodedCodeword enc(c);
  EXPECT_EQ(to_hex(enc.span()), kEnc);
}

// Sign bitmap across byte boundaries: α = 17 needs 3 bytes, bit k of byte k/8, LSB first.
TEST(Encoding, SignBitmapLayout) {
  detail::Codeword c;
  c.n = 100;
  c.alpha = 17;
  for (uint32_t k = 0; k < 17; ++k) { c.index[k] = 5 * k; c.negative[k] = (k == 0 || k == 9 || k == 16) ? 1 : 0; }
  uint8_t out[detail::kMaxEncodedCodeword];
  const size_t len = detail::encode_codeword(c, out);
  ASSERT_EQ(len, 12u + 4 * 17 + 3);
  EXPECT_EQ(to_hex({out, 12}), "534d43570100" "64000000" "1100");
  EXPECT_EQ(out[12 + 4 * 16], 80);  // index 16 = 80, little-endian
  EXPECT_EQ(out[len - 3], 0x01);
  EXPECT_EQ(out[len - 2], 0x02);
  EXPECT_EQ(out[len - 1], 0x01);
}

TEST(Golden, VerifierKeyAndMacKey) {
  const auto c = golden_codeword();
  const auto salt = from_hex(kSalt);
  EXPECT_EQ(to_hex(keyflow::verifier(salt.data(), c)), kVerifier);
  EXPECT_EQ(to_hex(keyflow::derive_key(salt.data(), c, "demo")), kKeyDemo);
  EXPECT_EQ(to_hex(keyflow::mac_key(salt.data(), c)), kMacKey);
  // Context and salt are bound into the key.
  EXPECT_NE(to_hex(keyflow::derive_key(salt.data(), c, "demo2")), kKeyDemo);
  EXPECT_NE(to_hex(keyflow::derive_key(salt.data(), c, "")), to_hex(keyflow::mac_key(salt.data(), c)));
  auto salt2 = salt;
  salt2[0] ^= 1;
  EXPECT_NE(to_hex(keyflow::verifier(salt2.data(), c)), kVerifier);
}

// Every sample has α distinct ascending positions in [0, n) and is reproducible from its key.
TEST(CodewordSampling, WellFormedAndReproducible) {
  for (uint32_t n : {2u, 3u, 17u, 64u, 512u, 16384u})
    for (uint32_t alpha : {1u, 2u, 16u, 63u, 64u}) {
      if (alpha >= n) continue;
      for (int i = 0; i < 20; ++i) {
        const auto key = keyflow::deterministic_key("wellformed", golden_seed(), uint64_t(n) * 1000 + alpha * 50 + i);
        detail::Codeword c, d;
        detail::sample_codeword(key.data(), n, alpha, &c);
        detail::sample_codeword(key.data(), n, alpha, &d);
        ASSERT_EQ(c.alpha, alpha);
        for (uint32_t k = 0; k < alpha; ++k) {
          ASSERT_LT(c.index[k], n);
          if (k) ASSERT_LT(c.index[k - 1], c.index[k]) << "n " << n << " alpha " << alpha;
          ASSERT_EQ(c.index[k], d.index[k]);
          ASSERT_EQ(c.negative[k], d.negative[k]);
          ASSERT_TRUE(c.negative[k] == 0 || c.negative[k] == 1);
        }
      }
    }
}

// Chi-square uniformity of positions and signs. Each position is in a codeword with probability α/n;
// counts of position i over N samples are Binomial(N, α/n) with slightly negative covariances
// (sampling without replacement), so Σ (O−E)²/(E(1−α/n)) is close to χ²(n−1). The thresholds are
// the χ² quantiles at p ≈ 1e-6 (Wilson–Hilferty), so a correct sampler fails about once in a million
// runs, while a biased one (e.g. modulo bias, an off-by-one in Floyd's range) fails reliably. Keys come
// from a counter, so the test is reproducible.
double chi2_quantile_1e6(double df) {
  const double z = 4.753;  // upper 1e-6 normal quantile
  const double a = 2.0 / (9.0 * df);
  return df * std::pow(1.0 - a + z * std::sqrt(a), 3);
}

void check_uniformity(uint32_t n, uint32_t alpha, size_t samples) {
  std::vector<double> pos(n, 0), neg(n, 0);
  double negatives = 0;
  for (size_t s = 0; s < samples; ++s) {
    const auto key = keyflow::deterministic_key("chi2", golden_seed(), uint64_t(n) << 32 | s);
    detail::Codeword c;
    detail::sample_codeword(key.data(), n, alpha, &c);
    for (uint32_t k = 0; k < alpha; ++k) {
      pos[c.index[k]] += 1;
      neg[c.index[k]] += c.negative[k];
      negatives += c.negative[k];
    }
  }
  const double p = double(alpha) / n;
  const double e = samples * p;
  double chi2 = 0;
  for (uint32_t i = 0; i < n; ++i) chi2 += (pos[i] - e) * (pos[i] - e) / (e * (1 - p));
  EXPECT_LT(chi2, chi2_quantile_1e6(n - 1)) << "positions, n " << n << " alpha " << alpha;
  EXPECT_GT(chi2, 0.2 * (n - 1)) << "positions too regular to be random";
  // Signs: given its position each sign is a fair coin; per-position χ² on the negative counts.
  double chi2_sign = 0;
  for (uint32_t i = 0; i < n; ++i) chi2_sign += (neg[i] - pos[i] / 2) * (neg[i] - pos[i] / 2) / (pos[i] / 4);
  EXPECT_LT(chi2_sign, chi2_quantile_1e6(n)) << "signs per position";
  const double total = double(samples) * alpha;
  EXPECT_LT(std::fabs(negatives - total / 2) / std::sqrt(total / 4), 4.9) << "overall sign balance";
}

TEST(CodewordSampling, ChiSquarePositionsAndSignsN64Alpha8) { check_uniformity(64, 8, 20000); }
TEST(CodewordSampling, ChiSquarePositionsAndSignsN512Alpha16) { check_uniformity(512, 16, 6000); }
// A bound that is not a power of two exercises the rejection step of uniform_below.
TEST(CodewordSampling, ChiSquarePositionsAndSignsN100Alpha3) { check_uniformity(100, 3, 30000); }

// The rejection step of uniform_below, which no statistical test can see (its bias is ~1e-8): feed
// hand-picked words. For bound 100, 2^32 mod 100 = 96, so words ≥ 4294967200 are rejected.
TEST(CodewordSampling, UniformBelowRejectsTheBiasedTail) {
  const auto seed = golden_seed();
  detail::ChachaWordStream ws(seed.data());
  ws.next();  // fill the buffer from block 0, then overwrite the words still to come
  const uint32_t words[] = {4294967200u, 4294967295u, 4294967199u, 0xffffffffu, 12345u, 0xffffffffu};
  for (int i = 0; i < 6; ++i) ws.buf[1 + i] = words[i];
  EXPECT_EQ(detail::uniform_below(ws, 100), 99u);   // two rejections, then 4294967199 mod 100
  EXPECT_EQ(detail::uniform_below(ws, 64), 63u);    // power of two: nothing is rejected
  EXPECT_EQ(detail::uniform_below(ws, 7), 12345u % 7);
  EXPECT_EQ(detail::uniform_below(ws, 1), 0u);      // bound 1 always 0, consuming one word
  EXPECT_EQ(ws.used, 7);
}

// Pairs matter too: all C(6,2) = 15 position pairs of C(6, 2) equally likely.
TEST(CodewordSampling, ChiSquareOfPairsSmallCode) {
  const size_t N = 30000;
  std::vector<double> count(36, 0);
  for (size_t s = 0; s < N; ++s) {
    const auto key = keyflow::deterministic_key("pairs", golden_seed(), s);
    detail::Codeword c;
    detail::sample_codeword(key.data(), 6, 2, &c);
    count[c.index[0] * 6 + c.index[1]] += 1;
  }
  double chi2 = 0;
  int cells = 0;
  for (int a = 0; a < 6; ++a)
    for (int b = a + 1; b < 6; ++b) {
      const double e = N / 15.0;
      chi2 += (count[a * 6 + b] - e) * (count[a * 6 + b] - e) / e;
      ++cells;
    }
  EXPECT_EQ(cells, 15);
  EXPECT_LT(chi2, chi2_quantile_1e6(14));
}

// ---- decode -----------------------------------------------------------------------------------

struct Decoded { std::vector<uint32_t> idx; std::vector<int> sign; };

Decoded decode(const std::vector<float>& y, uint32_t alpha) {
  detail::Codeword c;
  EXPECT_TRUE(detail::decode_codeword(y.data(), uint32_t(y.size()), alpha, &c));
  Decoded d;
  for (uint32_t k = 0; k < c.alpha; ++k) { d.idx.push_back(c.index[k]); d.sign.push_back(c.negative[k] ? -1 : 1); }
  return d;
}

// Reference straight from the definition: sort by (|y| desc, i asc), keep α, sign + iff y ≥ 0.
Decoded decode_reference(const std::vector<float>& y, uint32_t alpha) {
  std::vector<uint32_t> order(y.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const float fa = std::fabs(y[a]), fb = std::fabs(y[b]);
    return fa != fb ? fa > fb : a < b;
  });
  order.resize(alpha);
  std::sort(order.begin(), order.end());
  Decoded d;
  for (auto i : order) { d.idx.push_back(i); d.sign.push_back(y[i] >= 0 ? 1 : -1); }
  return d;
}

TEST(Decode, GoldenTies) {
  const auto d = decode({0.5f, -0.5f, 0.25f, -0.25f, 0.5f, 0.0f, -0.0f, 0.1f}, 3);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{0, 1, 4}));
  EXPECT_EQ(d.sign, (std::vector<int>{1, -1, 1}));
}

TEST(Decode, GoldenZeroSigns) {
  const auto d = decode({0.0f, -0.0f, 0.0f}, 2);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(d.sign, (std::vector<int>{1, 1})) << "-0.0 decodes as +";
}

TEST(Decode, HandMadeTieOrders) {
  // All magnitudes equal: the lowest indices win, whatever the signs.
  auto d = decode({-1, 1, -1, 1, -1, 1}, 4);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{0, 1, 2, 3}));
  EXPECT_EQ(d.sign, (std::vector<int>{-1, 1, -1, 1}));
  // A tie at the cut: of the three 0.5s after the 0.9, the two with lower indices are kept.
  d = decode({0.1f, 0.5f, 0.9f, -0.5f, 0.2f, 0.5f}, 3);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(d.sign, (std::vector<int>{1, 1, -1}));
  // The tie at the cut coming late in the scan must not displace an earlier equal entry.
  d = decode({0.3f, 0.0f, 0.0f, 0.0f, 0.3f, 0.3f, 1.0f}, 2);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{0, 6}));
  // α = 1 and α = n − 1.
  d = decode({0.2f, -0.7f, 0.7f}, 1);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{1}));
  EXPECT_EQ(d.sign, (std::vector<int>{-1}));
  d = decode({0.2f, -0.7f, 0.7f, 0.0f}, 3);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{0, 1, 2}));
  // Subnormals and the largest float order by magnitude like any other value.
  const float tiny = std::numeric_limits<float>::denorm_min();
  const float big = std::numeric_limits<float>::max();
  d = decode({tiny, 0.0f, -big, 2 * tiny, -0.0f}, 2);
  EXPECT_EQ(d.idx, (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(d.sign, (std::vector<int>{-1, 1}));
}

// Random vectors drawn from a handful of values (so ties are everywhere) against the reference.
TEST(Decode, MatchesReferenceOnTieHeavyVectors) {
  std::mt19937 rng(42);
  const float vals[] = {0.0f, -0.0f, 0.25f, -0.25f, 0.5f, -0.5f, 1.0f, -1.0f};
  for (int trial = 0; trial < 3000; ++trial) {
    const uint32_t n = 2 + rng() % 70;
    const uint32_t alpha = 1 + rng() % std::min<uint32_t>(n - 1, 64);
    std::vector<float> y(n);
    for (auto& v : y) v = vals[rng() % 8];
    const auto got = decode(y, alpha), want = decode_reference(y, alpha);
    ASSERT_EQ(got.idx, want.idx) << "trial " << trial;
    ASSERT_EQ(got.sign, want.sign) << "trial " << trial;
  }
}

TEST(Decode, RejectsNonFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (float bad : {inf, -inf, nan, -nan, std::numeric_limits<float>::signaling_NaN()})
    for (size_t where : {0u, 3u, 7u}) {
      std::vector<float> y = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
      y[where] = bad;
      detail::Codeword c;
      EXPECT_FALSE(detail::decode_codeword(y.data(), 8, 3, &c)) << "value " << bad << " at " << where;
    }
  EXPECT_TRUE(detail::finite_float(std::numeric_limits<float>::max()));
  EXPECT_TRUE(detail::finite_float(-std::numeric_limits<float>::denorm_min()));
}

// Decoding a codeword's own vector gives it back (and a noisy version too).
TEST(Decode, RoundTripOfSampledCodewords) {
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  for (int i = 0; i < 200; ++i) {
    const uint32_t n = 512, alpha = 16;
    const auto key = keyflow::deterministic_key("roundtrip", golden_seed(), i);
    detail::Codeword c;
    detail::sample_codeword(key.data(), n, alpha, &c);
    std::vector<float> y(n, 0.0f);
    for (uint32_t k = 0; k < alpha; ++k) y[c.index[k]] = (c.negative[k] ? -1.0f : 1.0f) / 4.0f;
    for (auto& v : y) v += 0.02f * g(rng);  // noise far below the 0.25 margin
    detail::Codeword d;
    ASSERT_TRUE(detail::decode_codeword(y.data(), n, alpha, &d));
    for (uint32_t k = 0; k < alpha; ++k) {
      ASSERT_EQ(d.index[k], c.index[k]);
      ASSERT_EQ(d.negative[k], c.negative[k]);
    }
  }
}

}  // namespace
}  // namespace spheremask
