// Evaluation protocols with several images per claim: how records and probes are drawn, the normalized mean, exact
// error codes for unusable protocols, single images reproducing the single-image numbers, and the gain of K-sample
// enrollment on synthetic identities (the cosine baseline gets the same mean templates).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "eval/protocol.hpp"
#include "support/eval_synthetic.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "support/expect_error.hpp"
#include "support/record_setup.hpp"

namespace spheremask::eval {
namespace {

using testing::error_code_of;

Protocol samples(uint32_t k, uint32_t f, uint32_t reserve = 0, size_t impostors = 50) {
  Protocol p;
  p.samples = true;
  p.enroll_samples = k;
  p.probe_frames = f;
  p.reserve = reserve;
  p.impostors = impostors;
  return p;
}

const std::vector<std::string> kLabels = {"a", "b", "a", "c", "a", "b", "a", "b", "a", "d", "d"};
// a: rows 0 2 4 6 8 (5 images); b: 1 5 7 (3); c: 3 (1); d: 9 10 (2).

TEST(EvalProtocol, RecordsAndProbesDrawnPerIdentity) {
  const UnitSet s = make_units(kLabels, samples(2, 1));
  // K = 2, F = 1: identities with >= 3 images: a and b. a: 2 enrolled + 3 probes; b: 2 enrolled + 1 probe.
  EXPECT_EQ(s.identities, 2u);
  EXPECT_EQ(s.records, 2u);
  EXPECT_EQ(s.probes, 4u);
  ASSERT_EQ(s.units.size(), 6u);
  std::set<uint32_t> used;
  for (const auto& u : s.units)
    for (uint32_t r : u) {
      EXPECT_TRUE(used.insert(r).second) << "row " << r << " used twice";
      EXPECT_EQ(kLabels[r], kLabels[u[0]]);  // a unit never mixes identities
    }
  EXPECT_EQ(s.units[0].size(), 2u);
  EXPECT_EQ(s.units[1].size(), 2u);
  EXPECT_EQ(s.pairs.genuine.size(), 4u);
  for (const auto& [rec, probe] : s.pairs.genuine) EXPECT_EQ(kLabels[s.units[rec][0]], kLabels[s.units[probe][0]]);
  ASSERT_EQ(s.pairs.impostor.size(), 50u);
  for (const auto& [rec, probe] : s.pairs.impostor) {
    EXPECT_LT(rec, s.records);
    EXPECT_GE(probe, s.records);
    EXPECT_NE(kLabels[s.units[rec][0]], kLabels[s.units[probe][0]]);
  }
  // Seeded: the same seed draws the same units; another seed another draw of a's five images.
  EXPECT_EQ(make_units(kLabels, samples(2, 1)).units, s.units);
  Protocol other = samples(2, 1);
  bool differs = false;
  for (other.seed = 2; other.seed < 6 && !differs; ++other.seed) differs = make_units(kLabels, other).units != s.units;
  EXPECT_TRUE(differs);
}

TEST(EvalProtocol, FramesAreDisjointConsecutiveGroups) {
  const UnitSet s = make_units(kLabels, samples(1, 2));
  // K = 1, F = 2: identities with >= 3 images. a: 4 left -> 2 probes of 2; b: 2 left -> 1 probe of 2.
  EXPECT_EQ(s.records, 2u);
  EXPECT_EQ(s.probes, 3u);
  for (size_t u = s.records; u < s.units.size(); ++u) EXPECT_EQ(s.units[u].size(), 2u);
  // d has 2 images: with F = 1 it qualifies (1 + 1), and its leftover never appears in a probe of F = 2.
  EXPECT_EQ(make_units(kLabels, samples(1, 1)).identities, 3u);
}

TEST(EvalProtocol, SharedReserveGivesEveryKTheSameProbes) {
  const UnitSet k1 = make_units(kLabels, samples(1, 1, 2)), k3 = make_units(kLabels, samples(2, 1, 2));
  ASSERT_EQ(k1.records, k3.records);
  const std::vector<std::vector<uint32_t>> probes1(k1.units.begin() + k1.records, k1.units.end()),
      probes3(k3.units.begin() + k3.records, k3.units.end());
  EXPECT_EQ(probes1, probes3);
  EXPECT_EQ(k1.pairs.genuine, k3.pairs.genuine);
  EXPECT_EQ(k1.pairs.impostor, k3.pairs.impostor);
  for (size_t r = 0; r < k1.records; ++r) {  // K = 1 enrolls the first of the same two reserved images
    ASSERT_EQ(k3.units[r].size(), 2u);
    EXPECT_EQ(k1.units[r][0], k3.units[r][0]);
  }
}

TEST(EvalProtocol, UnusableProtocolsAreInvalidArguments) {
  EXPECT_EQ(error_code_of([] { make_units(kLabels, samples(0, 1)); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_code_of([] { make_units(kLabels, samples(1, 0)); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_code_of([] { make_units(kLabels, samples(3, 1, 2)); }), ErrorCode::InvalidArgument);
  try {  // K = 5 needs 6 images: no identity has them
    make_units(kLabels, samples(5, 1));
    FAIL() << "no identity has 6 images";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("largest identity has 5"), std::string::npos) << e.what();
  }
  // K = 4 needs 5: only a qualifies; impostor pairs need a second identity.
  EXPECT_EQ(error_code_of([] { make_units(kLabels, samples(4, 1)); }), ErrorCode::InvalidArgument);
}

TEST(EvalProtocol, NormalizedMeanKnownAnswerAndBadRows) {
  const std::vector<float> t = {1, 0, 0, 0, 2, 0, 0, 0, 0, NAN, 0, 0};  // rows: e0, 2·e1, zero, NaN
  float out[3];
  const uint32_t rows01[] = {0, 1};
  normalized_mean(t.data(), 3, rows01, 2, out);  // (e0 + e1) / √2: each row is normalized first
  EXPECT_FLOAT_EQ(out[0], float(1 / std::sqrt(2.0)));
  EXPECT_FLOAT_EQ(out[1], float(1 / std::sqrt(2.0)));
  EXPECT_FLOAT_EQ(out[2], 0.0f);
  const uint32_t with_zero[] = {0, 2}, with_nan[] = {3, 0};
  try {
    normalized_mean(t.data(), 3, with_zero, 2, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("row 2"), std::string::npos) << e.what();
  }
  try {
    normalized_mean(t.data(), 3, with_nan, 2, out);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("row 3"), std::string::npos) << e.what();
  }
}

TEST(EvalProtocol, SingleImageUnitsAreTheRowsBitForBit) {
  const auto s = testing::synthetic_identities(16, 3, 4, 60, 20, 40, 1);
  // Unnormalized rows must come through unchanged (the engine normalizes them exactly as before).
  std::vector<float> t = s.templates;
  for (size_t i = 0; i < t.size(); ++i) t[i] *= 1.5f + float(i % 3);
  const UnitSet u = make_units(s.labels, samples(1, 1));
  const auto got = unit_templates(t.data(), s.rows(), 16, u.units);
  for (size_t k = 0; k < u.units.size(); ++k)
    EXPECT_EQ(std::memcmp(got.data() + k * 16, t.data() + size_t(u.units[k][0]) * 16, 16 * sizeof(float)), 0);
}

// All-pairs through evaluate_protocol is the single-image evaluation of before, decision for decision.
TEST(EvalProtocol, AllPairsReproducesTheSingleImageEvaluation) {
  const auto s = testing::synthetic_identities(32, 20, 4, 60, 15, 35, 2);
  auto engine = testing::square_engine(32, 6);
  Protocol all;
  all.impostors = 300;
  all.seed = 7;
  for (Mode mode : {Mode::Exact, Mode::Fast}) {
    const auto before = evaluate(*engine, s.templates.data(), s.rows(), make_pairs(s.labels, 300, 7, 0), mode, 7);
    const auto now = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, all, mode).result;
    EXPECT_EQ(now.genuine_pairs, before.genuine_pairs);
    EXPECT_EQ(now.genuine_accepted, before.genuine_accepted);
    EXPECT_EQ(now.impostor_accepted, before.impostor_accepted);
    EXPECT_EQ(now.baseline_tar_at_far, before.baseline_tar_at_far);
    EXPECT_GT(now.genuine_accepted, 0u);  // a comparison of something
  }
}

TEST(EvalProtocol, LabelCountMismatchIsInvalidArgument) {
  const auto s = testing::synthetic_identities(16, 3, 3, 60, 20, 40, 3);
  auto engine = testing::square_engine(16, 4);
  std::vector<std::string> short_labels(s.labels.begin(), s.labels.end() - 1);
  EXPECT_EQ(error_code_of([&] { evaluate_protocol(*engine, s.templates.data(), s.rows(), short_labels, samples(1, 1), Mode::Fast); }),
            ErrorCode::InvalidArgument);
}

// Images 30–50° from their identity's centre: single pairs sit near 55°, beyond C(64, 6)'s cliff; the mean of five
// images is near 20° from the centre, so K = 5 accepts far more genuine probes (the same probes: reserve 5). The
// unprotected matcher gets the same mean templates, so it gains as well.
TEST(EvalProtocol, MeanOfKSamplesRaisesTarOnSyntheticIdentities) {
  const auto s = testing::synthetic_identities(64, 60, 8, 70, 30, 50, 4);
  auto engine = testing::square_engine(64, 6);
  const auto one = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, samples(1, 1, 5, 2000), Mode::Fast);
  const auto five = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, samples(5, 1, 5, 2000), Mode::Fast);
  ASSERT_EQ(one.result.genuine_pairs, 60u * 3);
  ASSERT_EQ(five.result.genuine_pairs, one.result.genuine_pairs);
  EXPECT_GT(five.result.tar_ci.lo, one.result.tar_ci.hi) << one.result.tar << " -> " << five.result.tar;
  EXPECT_GT(five.result.tar, one.result.tar + 0.2);
  EXPECT_LT(five.result.far, 0.02);
  // The baseline at K = 5 scores mean templates: at the same FAR it too beats the single-image baseline.
  EXPECT_GT(five.result.baseline_tar_at_far, one.result.baseline_tar_at_far);
  // Three frames per probe on top of five samples: the probe moves towards the centre too.
  const auto frames = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, samples(5, 3, 5, 2000), Mode::Fast);
  EXPECT_EQ(frames.result.genuine_pairs, 60u);
  EXPECT_GT(frames.result.tar, five.result.tar);
}

// The measured acceptance by angle accounts exactly for the gap to the cosine matcher at the same FAR: the cosine
// matcher accepts the genuine pairs under its threshold angle, the protected one accepts a different set, and the TAR
// difference is (accepted over the threshold − rejected under it) / genuine pairs.
TEST(EvalProtocol, AngleDiagnosticsAccountForTheGapToTheCosineMatcher) {
  const auto s = testing::synthetic_identities(64, 60, 8, 70, 30, 50, 4);
  Params p;
  p.m = p.n = 64;
  p.alpha = 6;
  p.allow_weak = true;
  auto engine = make_engine(p, Backend::Cpu);
  const auto r = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, samples(3, 1, 5, 2000), Mode::Fast).result;
  const auto& a = r.angles;
  size_t pairs = 0, accepted = 0;
  for (const auto& b : a.bins) {
    pairs += b.pairs;
    accepted += b.accepted;
    EXPECT_LE(b.accepted, b.pairs);
  }
  EXPECT_EQ(pairs, r.genuine_pairs);
  EXPECT_EQ(accepted, r.genuine_accepted);
  EXPECT_NEAR(r.tar - r.baseline_tar_at_far,
              (double(a.accepted_above) - double(a.rejected_below)) / double(r.genuine_pairs), 1e-12);
  EXPECT_GT(a.rejected_below + a.accepted_above, 0u);  // a soft curve: some pairs fall on the other side of the cut
  EXPECT_LT(a.genuine_p10_deg, a.genuine_median_deg);
  EXPECT_LT(a.genuine_median_deg, a.genuine_p90_deg);
  EXPECT_GT(a.threshold_deg, 0.0);
  EXPECT_LT(a.threshold_deg, 90.0);
}

// One enrollment sample of every identity replaced by a random direction (≈ 90° from everything in 64 dimensions):
// outlier rejection at 60° drops exactly those, and enrollment from the rest accepts more genuine probes. On the clean
// set nothing is dropped.
TEST(EvalProtocol, OutlierRejectionDropsPlantedOutliers) {
  auto s = testing::synthetic_identities(64, 60, 8, 70, 10, 25, 5);
  Params p;
  p.m = p.n = 64;
  p.alpha = 8;
  p.allow_weak = true;
  auto engine = make_engine(p, Backend::Cpu);
  Protocol plain = samples(5, 1, 5, 2000), robust = plain;
  robust.outlier_deg = 60;
  const auto clean = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, robust, Mode::Fast);
  EXPECT_EQ(clean.dropped_samples, 0u);
  const UnitSet set = make_units(s.labels, plain);
  internal::SimRng rng("test/outliers", 1);
  for (size_t u = 0; u < set.records; ++u) rng.unit_vector(s.templates.data() + size_t(set.units[u][2]) * 64, 64);
  const auto mean = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, plain, Mode::Fast);
  const auto rejected = evaluate_protocol(*engine, s.templates.data(), s.rows(), s.labels, robust, Mode::Fast);
  EXPECT_EQ(mean.dropped_samples, 0u);
  EXPECT_EQ(rejected.dropped_samples, set.records);
  EXPECT_GT(rejected.result.tar, mean.result.tar) << mean.result.tar << " -> " << rejected.result.tar;
  EXPECT_NEAR(rejected.result.tar, clean.result.tar, 0.1);
}

TEST(EvalProtocol, BaselineCurveIsMonotoneAndEndsAtOne) {
  const std::vector<double> imp = {0.1, 0.2, 0.3, 0.4, 0.5}, gen = {0.35, 0.45, 0.9, 0.41};
  const auto c = baseline_curve(gen, imp, 10);
  ASSERT_GE(c.size(), 3u);
  EXPECT_EQ(c.front().far, 0.0);
  EXPECT_DOUBLE_EQ(c.front().tar, 0.25);  // accept > 0.5
  EXPECT_DOUBLE_EQ(c.back().far, 1.0);
  EXPECT_DOUBLE_EQ(c.back().tar, 1.0);
  for (size_t i = 1; i < c.size(); ++i) {
    EXPECT_GT(c[i].far, c[i - 1].far);
    EXPECT_GE(c[i].tar, c[i - 1].tar);
  }
  // The point at FAR 0.2 is tar_at_far's.
  bool found = false;
  for (const auto& q : c)
    if (q.far == 0.2) { found = true; EXPECT_DOUBLE_EQ(q.tar, tar_at_far(gen, imp, 0.2)); }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace spheremask::eval
