// List decoding (EngineOptions::list_decoding, host/decode/list_decode.hpp): the walk visits the codewords
// with y's signs in decreasing ⟨c', y⟩, each once, nearest first, and stops at cos(max angle) or the cap; an
// engine with it accepts exactly the probes within the angle (the enrolled codeword scores cos∠(t, t')) and
// decides as the plain decoder beyond it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "decode/list_decode.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/error.hpp"
#include "support/expect_error.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

double score(const detail::Codeword& c, const std::vector<float>& y) {
  double s = 0;
  for (uint32_t k = 0; k < c.alpha; ++k) s += c.negative[k] ? -double(y[c.index[k]]) : double(y[c.index[k]]);
  return s / std::sqrt(double(c.alpha));
}

std::vector<uint32_t> support(const detail::Codeword& c) { return {c.index, c.index + c.alpha}; }

// n = 128, α = 16 (weak codes allowed: the tests choose sizes for speed) with list decoding within `angle`.
std::unique_ptr<Engine> list_engine(double angle, uint32_t max_candidates, Backend b = Backend::Cpu) {
  Params p = square_params(128, 16);
  p.allow_weak = true;
  EngineOptions o;
  o.list_decoding = {angle, max_candidates};
  return make_engine(p, b, o);
}

std::vector<detail::Codeword> walk(const std::vector<float>& y, uint32_t alpha, double angle, uint32_t cap) {
  internal::ListDecoder d(ListDecoding{angle, cap});
  std::vector<detail::Codeword> out;
  const size_t visited = d.enumerate(y.data(), uint32_t(y.size()), alpha, [&](const detail::Codeword& c) { out.push_back(c); });
  EXPECT_EQ(visited, out.size());
  return out;
}

// Every α-subset of n = 12 coordinates, with y's signs, scored by brute force: the walk down to a threshold
// must produce exactly those scoring at or above it, best first, each once.
TEST(ListDecode, MatchesBruteForceOrderAndSet) {
  const uint32_t n = 12;
  std::mt19937 rng(7);
  for (uint32_t alpha : {1u, 3u, 5u, 11u, 12u}) {
    for (int trial = 0; trial < 20; ++trial) {
      auto y = random_unit_rows(1, n, 100 + trial * 13 + alpha);
      const double angle = 30.0 + 2.0 * trial;  // thresholds from most to few of the subsets
      const double threshold = std::cos(angle * M_PI / 180.0);
      std::vector<double> all;
      for (uint32_t mask = 0; mask < (1u << n); ++mask) {
        if (uint32_t(__builtin_popcount(mask)) != alpha) continue;
        double s = 0;
        for (uint32_t i = 0; i < n; ++i)
          if (mask >> i & 1) s += std::fabs(y[i]);
        all.push_back(s / std::sqrt(double(alpha)));
      }
      std::sort(all.begin(), all.end(), std::greater<>());
      const size_t expected = std::max<size_t>(1, size_t(std::count_if(all.begin(), all.end(), [&](double s) {
                                                   return s >= threshold - 1e-9;
                                                 })));
      const auto got = walk(y, alpha, angle, 1u << 20);
      ASSERT_EQ(got.size(), expected) << "alpha " << alpha << " trial " << trial;
      std::set<std::vector<uint32_t>> seen;
      for (size_t k = 0; k < got.size(); ++k) {
        EXPECT_NEAR(score(got[k], y), all[k], 1e-6) << "candidate " << k;  // best first: the k-th best score
        EXPECT_TRUE(seen.insert(support(got[k])).second) << "candidate " << k << " visited twice";
        for (uint32_t q = 0; q < alpha; ++q) {
          EXPECT_EQ(got[k].negative[q], y[got[k].index[q]] >= 0 ? 0 : 1);  // signs are y's
          if (q) EXPECT_LT(got[k].index[q - 1], got[k].index[q]);        // canonical: ascending
        }
      }
    }
  }
}

TEST(ListDecode, NearestFirstCapAndTies) {
  // Ties in |y| (the golden tie vector's kind): the first candidate is decode_codeword's, tie order included.
  const std::vector<float> y = {0.5f, -0.5f, 0.25f, 0.5f, -0.25f, 0.1f, 0.0f, -0.0f};
  detail::Codeword nearest;
  ASSERT_TRUE(detail::decode_codeword(y.data(), 8, 3, &nearest));
  const auto got = walk(y, 3, 80.0, 5);
  ASSERT_EQ(got.size(), 5u);  // the cap
  EXPECT_EQ(support(got[0]), support(nearest));
  EXPECT_EQ(std::vector<int8_t>(got[0].negative, got[0].negative + 3),
            std::vector<int8_t>(nearest.negative, nearest.negative + 3));
  for (size_t k = 1; k < got.size(); ++k) EXPECT_LE(score(got[k], y), score(got[k - 1], y) + 1e-12);
  // A threshold above the nearest codeword's score still tries the nearest codeword, and only it.
  EXPECT_EQ(walk(y, 3, 1.0, 1000).size(), 1u);
  // Non-finite y: nothing is tried.
  auto bad = y;
  bad[5] = std::nanf("");
  EXPECT_TRUE(walk(bad, 3, 80.0, 1000).empty());
}

TEST(ListDecode, RefusesBadOptions) {
  Params p = square_params(64, 8);
  p.allow_weak = true;
  for (const ListDecoding bad : {ListDecoding{-1, 10}, ListDecoding{80.5, 10}, ListDecoding{std::nan(""), 10},
                                 ListDecoding{30, 0}, ListDecoding{30, (1u << 20) + 1}}) {
    EngineOptions o;
    o.list_decoding = bad;
    EXPECT_ERROR_CODE(make_engine(p, Backend::Cpu, o), ErrorCode::InvalidArgument);
  }
}

// The property that makes list decoding a cosine matcher: n = 128, α = 16, list angle 38°. Probes at 37°
// are all accepted (the plain decoder takes about 5% of them; the codeword ranks under 10⁵ at 37° in a
// 300-trial simulation of y = cosθ·c + sinθ·z), and the key released is the enrolled one. Probes at 39°,
// beyond the angle, get exactly the plain decoder's decisions.
TEST(ListDecode, EngineAcceptsWithinTheAngleAndOnlyAsPlainBeyond) {
  const uint32_t n = 128, records_n = 12;
  auto plain = square_engine(n, 16);
  auto listed = list_engine(38.0, 1u << 18, Backend::Auto);
  ASSERT_EQ(listed->backend(), Backend::Cpu);  // Auto picks the CPU for list decoding
  const auto t = random_unit_rows(records_n, n, 38);
  const auto records = enroll_deterministic(*plain, t, records_n);
  std::mt19937 rng(5);
  size_t plain_inside = 0, beyond = 0;
  for (int rep = 0; rep < 3; ++rep) {
    std::vector<float> inside, outside;
    for (uint32_t i = 0; i < records_n; ++i) {
      const auto a = at_angle(t.data() + size_t(i) * n, n, 37.0, rng);
      const auto b = at_angle(t.data() + size_t(i) * n, n, 39.0, rng);
      inside.insert(inside.end(), a.begin(), a.end());
      outside.insert(outside.end(), b.begin(), b.end());
    }
    const auto keyed = listed->verify_and_derive(inside.data(), records_n, records, "ctx");
    const auto reference = plain->verify_and_derive(t.data(), records_n, records, "ctx");
    for (uint32_t i = 0; i < records_n; ++i) {
      ASSERT_EQ(keyed[i].decision, Decision::Accept) << "record " << i << " at 37°";
      EXPECT_EQ(keyed[i].key.bytes(), reference[i].key.bytes());
    }
    for (auto d : plain->verify(inside.data(), records_n, records)) plain_inside += d == Decision::Accept;
    const auto lo = listed->verify(outside.data(), records_n, records);
    const auto po = plain->verify(outside.data(), records_n, records);
    EXPECT_EQ(lo, po) << "beyond the angle the list decoder must decide as the plain one";
    for (auto d : po) beyond += d == Decision::Accept;
  }
  EXPECT_LT(plain_inside, 3 * records_n / 2) << "the plain decoder should reject most probes at 37°";
  std::printf("[ list     ] 37°: list %u/%u, plain %zu; 39°: both %zu\n", 3 * records_n, 3 * records_n, plain_inside,
              beyond);
}

// The same decisions from every entry point: verify, identify, a host gallery, verify_serialized.
TEST(ListDecode, EveryEntryPointAgrees) {
  const uint32_t n = 128, records_n = 6;
  auto engine = list_engine(38.0, 1u << 16);
  const auto t = random_unit_rows(records_n, n, 11);
  const auto records = enroll_deterministic(*engine, t, records_n);
  std::mt19937 rng(3);
  std::vector<float> probes;
  for (uint32_t i = 0; i < records_n; ++i) {
    const auto a = at_angle(t.data() + size_t(i) * n, n, i % 2 ? 36.0 : 45.0, rng);
    probes.insert(probes.end(), a.begin(), a.end());
  }
  const auto direct = engine->verify(probes.data(), records_n, records);
  std::vector<std::vector<uint8_t>> blobs;
  std::vector<std::span<const uint8_t>> spans;
  for (const auto& r : records) blobs.push_back(r.serialize());
  for (const auto& b : blobs) spans.emplace_back(b);
  EXPECT_EQ(engine->verify_serialized(probes.data(), records_n, spans, true), direct);
  const auto hits = engine->identify(probes.data(), records_n, records);
  auto gallery = engine->load_gallery(records);
  EXPECT_EQ(engine->identify(probes.data(), records_n, *gallery), hits);
  for (uint32_t i = 0; i < records_n; ++i) {
    EXPECT_EQ(direct[i], i % 2 ? Decision::Accept : Decision::Reject) << "probe " << i;
    const bool listed = std::find(hits[i].begin(), hits[i].end(), i) != hits[i].end();
    EXPECT_EQ(listed, direct[i] == Decision::Accept) << "probe " << i;
  }
}

}  // namespace
}  // namespace spheremask
