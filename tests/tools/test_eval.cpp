// Evaluation: pair construction, Wilson intervals, the baseline matcher and hand-checked counts on a
// tiny labelled set, in both modes; fast and exact modes agree within their intervals.
#include <gtest/gtest.h>

#include <cmath>

#include "tools/eval.hpp"
#include "expander/expander_rng.hpp"
#include "tools/security_estimate.hpp"
#include "spheremask/engine.hpp"

namespace spheremask::eval {
namespace {

TEST(Eval, PairsAreAllGenuineAndSeededImpostors) {
  const std::vector<std::string> labels = {"a", "a", "a", "b", "b", "c"};
  const auto all = make_pairs(labels, 7, 1, 0);
  EXPECT_EQ(all.genuine, (std::vector<Pair>{{0, 1}, {0, 2}, {1, 2}, {3, 4}}));
  ASSERT_EQ(all.impostor.size(), 7u);
  for (const auto& [a, b] : all.impostor) EXPECT_NE(labels[a], labels[b]);
  EXPECT_EQ(make_pairs(labels, 7, 1, 0).impostor, all.impostor);
  const auto capped = make_pairs(labels, 0, 1, 2);
  EXPECT_EQ(capped.genuine, (std::vector<Pair>{{0, 1}, {3, 4}}));
  EXPECT_TRUE(capped.impostor.empty());
}

TEST(Eval, WilsonIntervals) {
  const auto zero = wilson(0, 10);
  EXPECT_DOUBLE_EQ(zero.lo, 0.0);
  EXPECT_NEAR(zero.hi, 0.2775, 1e-4);
  const auto half = wilson(5, 10);
  EXPECT_NEAR(half.lo, 0.2366, 1e-4);
  EXPECT_NEAR(half.hi, 0.7634, 1e-4);
  const auto none = wilson(0, 0);
  EXPECT_EQ(none.lo, 0.0);
  EXPECT_EQ(none.hi, 1.0);
}

TEST(Eval, BaselineTarAtFar) {
  // Impostors 0.1…0.5; FAR 0.2 of 5 allows one impostor, so the threshold is 0.4 (accept > 0.4).
  const std::vector<double> imp = {0.1, 0.2, 0.3, 0.4, 0.5}, gen = {0.35, 0.45, 0.9, 0.41};
  EXPECT_DOUBLE_EQ(tar_at_far(gen, imp, 0.2), 0.75);
  EXPECT_DOUBLE_EQ(tar_at_far(gen, imp, 0.0), 0.25);  // accept > 0.5
  EXPECT_DOUBLE_EQ(tar_at_far(gen, imp, 1.0), 1.0);
}

// Identity a: three copies of e0 (angle 0: always accepted). Identity b: e1 and e2 (90°: never
// accepted by C(64, 8)). Identity c: e3. Every impostor pair is at 90°. So by hand: 4 genuine pairs,
// 3 accepted, no impostor accepted; the cosine matcher at FAR 0 accepts score > 0: also 3 of 4.
class EvalTiny : public ::testing::TestWithParam<Mode> {};

TEST_P(EvalTiny, CountsCheckedByHand) {
  const uint32_t m = 64;
  std::vector<float> t(6 * m, 0.0f);
  const int axis[6] = {0, 0, 0, 1, 2, 3};
  for (int i = 0; i < 6; ++i) t[size_t(i) * m + axis[i]] = 1.0f;
  const std::vector<std::string> labels = {"a", "a", "a", "b", "b", "c"};
  Params p;
  p.m = p.n = m;
  p.alpha = 8;
  p.allow_weak = true;
  auto engine = make_engine(p, Backend::Cpu);
  const auto pairs = make_pairs(labels, 20, 3, 0);
  const Result r = evaluate(*engine, t.data(), 6, pairs, GetParam(), 1);
  EXPECT_EQ(r.genuine_pairs, 4u);
  EXPECT_EQ(r.impostor_pairs, 20u);
  EXPECT_EQ(r.genuine_accepted, 3u);
  EXPECT_EQ(r.impostor_accepted, 0u);
  EXPECT_EQ(r.tampered, 0u);
  EXPECT_DOUBLE_EQ(r.tar, 0.75);
  EXPECT_DOUBLE_EQ(r.far, 0.0);
  EXPECT_DOUBLE_EQ(r.tar_ci.lo, wilson(3, 4).lo);
  EXPECT_DOUBLE_EQ(r.far_ci.hi, wilson(0, 20).hi);
  EXPECT_DOUBLE_EQ(r.baseline_tar_at_far, 0.75);
  EXPECT_NEAR(r.accepted_angle_mean_deg, 0.0, 0.1);
  EXPECT_NEAR(r.accepted_angle_max_deg, 0.0, 0.1);
}

INSTANTIATE_TEST_SUITE_P(, EvalTiny, ::testing::Values(Mode::Exact, Mode::Fast),
                         [](const auto& info) { return std::string(mode_name(info.param)); });

// Pairs at the acceptance cliff θ50 (acceptance ≈ ½, the most sensitive point): the two modes must
// agree within their 95% intervals.
TEST(Eval, FastAndExactModesAgreeAtTheCliff) {
  const uint32_t n = 64, alpha = 8;
  const size_t pairs = 200;
  security::EstimateOptions so;
  so.trials = 4000;
  const double theta = security::theta50_code_deg(n, alpha, so);
  internal::SimRng rng("test/cliff", 1);
  std::vector<float> t(2 * pairs * n);
  std::vector<Pair> list;
  for (size_t k = 0; k < pairs; ++k) {
    rng.unit_vector(t.data() + k * n, n);
    rng.at_angle(t.data() + k * n, theta / 57.29577951308232, t.data() + (pairs + k) * n, n);
    list.push_back({uint32_t(k), uint32_t(pairs + k)});
  }
  Params p;
  p.m = p.n = n;
  p.alpha = alpha;
  p.allow_weak = true;
  auto engine = make_engine(p, Backend::Cpu);
  size_t exact = 0, fast = 0;
  for (uint8_t a : accept_exact(*engine, t.data(), 2 * pairs, list, 5)) exact += a == 1;
  for (uint8_t a : accept_fast(*engine, t.data(), 2 * pairs, list, 5)) fast += a == 1;
  const auto ce = wilson(exact, pairs), cf = wilson(fast, pairs);
  EXPECT_LE(ce.lo, cf.hi) << exact << " vs " << fast;
  EXPECT_LE(cf.lo, ce.hi) << exact << " vs " << fast;
  EXPECT_GT(exact, pairs / 5);  // really at the cliff
  EXPECT_LT(exact, pairs * 4 / 5);
}

}  // namespace
}  // namespace spheremask::eval
