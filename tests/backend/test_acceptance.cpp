// The acceptance-vs-angle curve of IronMask for n = 512, α = 16 (DESIGN §1): because P is uniform among
// the orthogonal maps taking t to c, acceptance depends only on the angle between t and the probe:
// ~100% at 40°, ~35% at 50°, ~0% at 60°.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <vector>

#include "support/backends.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

class AcceptanceTest : public BackendTest {};

// Why trials are i.i.d.: for one record, y = P·t' = cosθ·c + sinθ·P·v with v uniform on the unit sphere
// orthogonal to t; P is orthogonal with P·t = c, so P·v is uniform on the sphere orthogonal to c whatever
// P is. Every probe, on any record, is therefore an independent Bernoulli(p(θ)) trial, and we can put
// many probes on each of a modest number of enrollments (n = 512 enrollment is the expensive part).
// p(θ) for n = 512, α = 16 by a 200k-sample Monte Carlo of that formula (numpy): 40°: 0.9943,
// 45°: 0.867, 50°: 0.349, 60°: 5e-6. With N = 3000 trials per angle (100 records × 30 probes):
//  * 40°, "≥ 99%": expected misses 17 (SD 4.1); the 30-miss bound is 3.2 SD away (false failure
//    ~1e-3), while at N = 300 it would fail ~9% of seeds (too few trials for the bound to mean much).
//  * 45°, 83–90% (DESIGN's ~87%): SD 0.6 points, bounds ≥ 5 SD away.
//  * 50°, 25–45% (DESIGN's ~35%): SD 0.9 points, bounds ≥ 11 SD away; a mis-scaled decode (e.g. the wrong
//    α, or P not orthogonal) moves this point by tens of points.
//  * 60°, "≤ 1%": expected 0.015 accepts; 30 allowed.
// Everything is seeded (deterministic enrollment, mt19937 probe directions), so runs are reproducible.
TEST_P(AcceptanceTest, CurveN512Alpha16) {
  const uint32_t n = 512;
  const size_t records_n = 100, probes_per_record = 30, N = records_n * probes_per_record;
  Params p;
  p.m = p.n = n;
  p.alpha = 16;
  auto engine = make_engine(p, backend());
  const auto t = random_unit_rows(records_n, n, 2021);
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  const auto records = engine->enroll(t.data(), records_n, eo);
  ASSERT_EQ(records.size(), records_n);

  std::mt19937 rng(60);
  struct Case { double deg; double lo, hi; };
  const Case cases[] = {{40, 0.99, 1.0}, {45, 0.83, 0.90}, {50, 0.25, 0.45}, {60, 0.0, 0.01}};
  for (const auto& cs : cases) {
    size_t accepted = 0;
    for (size_t rep = 0; rep < probes_per_record; ++rep) {
      std::vector<float> probes(records_n * n);
      for (size_t i = 0; i < records_n; ++i) {
        const auto v = at_angle(t.data() + i * n, n, cs.deg, rng);
        ASSERT_NEAR(angle_deg(v.data(), t.data() + i * n, n), cs.deg, 1e-3);
        std::copy(v.begin(), v.end(), probes.begin() + i * n);
      }
      for (auto x : engine->verify(probes.data(), records_n, records)) {
        ASSERT_NE(x, Decision::Tampered);
        accepted += x == Decision::Accept;
      }
    }
    const double rate = double(accepted) / N;
    std::cout << "[ curve    ] " << cs.deg << " deg: " << accepted << "/" << N << " accepted\n";
    RecordProperty("accept_" + std::to_string(int(cs.deg)), std::to_string(accepted) + "/" + std::to_string(N));
    EXPECT_GE(rate, cs.lo) << cs.deg << "°: " << accepted << "/" << N;
    EXPECT_LE(rate, cs.hi) << cs.deg << "°: " << accepted << "/" << N;
  }
  // The enrolled templates themselves (angle 0) always pass.
  for (auto x : engine->verify(t.data(), records_n, records)) ASSERT_EQ(x, Decision::Accept);
}

INSTANTIATE_BACKENDS(AcceptanceTest);

}  // namespace
}  // namespace spheremask
