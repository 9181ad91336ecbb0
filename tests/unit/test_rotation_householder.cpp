// The per-element math both backends run (detail/rotation.hpp, detail/householder.hpp) against
// straightforward references: LAPACK's slarfg for the Householder step, and the explicit rotation
// matrix R = I + (cosθ − 1)(u uᵀ + w wᵀ) + sinθ (w uᵀ − u wᵀ) in double for the rank-2 update.
#include <gtest/gtest.h>
#include <lapacke.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cpu/haar_cpu.hpp"
#include "spheremask/detail/householder.hpp"
#include "spheremask/detail/rotation.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

std::vector<float> gaussian_vector(uint32_t len, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(len);
  for (float& v : x) v = g(rng);
  return x;
}

TEST(HouseholderStep, MatchesLapackLarfgAndReflectsXOntoBetaE0) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    const uint32_t len = 2 + seed % 30;
    std::vector<float> x = gaussian_vector(len, seed);
    if (seed % 2) x[0] = -std::fabs(x[0]);  // both signs of x_0
    double norm2 = 0;
    for (float v : x) norm2 += double(v) * v;
    const detail::HouseholderStep step = detail::householder_step(x[0], norm2);
    std::vector<float> v(len);
    v[0] = 1.0f;
    for (uint32_t j = 1; j < len; ++j) v[j] = detail::householder_scaled(x[j], step.scale);

    // LAPACK's own larfg on the same column (float arithmetic): same τ, v and sign of β.
    float alpha = x[0], tau = 0;
    std::vector<float> tail(x.begin() + 1, x.end());
    ASSERT_EQ(LAPACKE_slarfg(lapack_int(len), &alpha, tail.data(), 1, &tau), 0);
    EXPECT_NEAR(step.tau, tau, 1e-6f * std::fabs(tau)) << "seed " << seed;
    EXPECT_EQ(step.sign, alpha >= 0 ? 1.0f : -1.0f) << "seed " << seed;
    for (uint32_t j = 1; j < len; ++j) EXPECT_NEAR(v[j], tail[j - 1], 1e-5f * (1 + std::fabs(tail[j - 1])));

    // H x = β e_0 with H = I − τ v vᵀ and |β| = ‖x‖, sign(β) = −sign(x_0).
    double vx = 0;
    for (uint32_t j = 0; j < len; ++j) vx += double(v[j]) * x[j];
    const double beta = -std::copysign(std::sqrt(norm2), double(x[0]));
    for (uint32_t j = 0; j < len; ++j) {
      const double hx = x[j] - double(step.tau) * v[j] * vx;
      EXPECT_NEAR(hx, j == 0 ? beta : 0.0, 1e-5 * std::sqrt(norm2)) << "seed " << seed << " row " << j;
    }
    EXPECT_GE(step.tau, 1.0f);
    EXPECT_LE(step.tau, 2.0f);
  }
}

TEST(HouseholderStep, LastColumnSignFollowsTheDiagonalWithZeroPositive) {
  EXPECT_EQ(detail::householder_last_sign(0.25f), 1.0f);
  EXPECT_EQ(detail::householder_last_sign(-0.25f), -1.0f);
  EXPECT_EQ(detail::householder_last_sign(0.0f), 1.0f);
  EXPECT_EQ(detail::householder_last_sign(-0.0f), 1.0f);
}

// P = R(u → c)·Q built serially from the detail functions exactly as the CPU backend sequences them.
struct Rotated {
  bool degenerate = false;
  double cos_theta = 0, sin_theta = 0;
  std::vector<float> u, w, p;  // p row-major
};

Rotated rotate_serial(const std::vector<float>& q_cm, const std::vector<float>& t, const detail::Codeword& c,
                      uint32_t n) {
  Rotated r;
  r.u.assign(n, 0.0f);
  for (uint32_t i = 0; i < n; ++i) {
    double s = 0;
    for (uint32_t j = 0; j < n; ++j) s += double(q_cm[i + size_t(j) * n]) * t[j];
    r.u[i] = float(s);
  }
  const double mag = detail::codeword_magnitude(c.alpha);
  r.cos_theta = detail::rotation_cos(c, r.u.data(), mag);
  r.w.resize(n);
  for (uint32_t i = 0; i < n; ++i) r.w[i] = detail::rotation_w_start(r.cos_theta, r.u[i]);
  for (uint32_t k = 0; k < c.alpha; ++k)
    r.w[c.index[k]] = detail::rotation_w_plus_codeword(r.w[c.index[k]], c, k, mag);
  double sin2 = 0;
  for (float v : r.w) sin2 += double(v) * v;
  r.sin_theta = std::sqrt(sin2);
  r.degenerate = detail::rotation_degenerate(r.sin_theta);
  if (r.degenerate) return r;
  for (float& v : r.w) v = detail::rotation_w_unit(v, r.sin_theta);
  std::vector<float> a(n), b(n);
  for (uint32_t j = 0; j < n; ++j) {
    float ctq = 0;
    for (uint32_t k = 0; k < c.alpha; ++k) ctq += detail::codeword_entry_f32(c, k, mag) * q_cm[c.index[k] + size_t(j) * n];
    detail::rotation_ab(ctq, t[j], r.cos_theta, r.sin_theta, &a[j], &b[j]);
  }
  r.p.resize(size_t(n) * n);
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j)
      r.p[size_t(i) * n + j] = detail::rotation_p(q_cm[i + size_t(j) * n], r.u[i], a[j], r.w[i], b[j]);
  return r;
}

TEST(RotationMath, MatchesTheExplicitRotationMatrixAndMapsTToC) {
  constexpr uint32_t n = 24;
  for (uint32_t trial = 0; trial < 6; ++trial) {
    std::array<uint8_t, 32> key{};
    key[0] = uint8_t(trial + 1);
    std::vector<float> q_rm(size_t(n) * n), q_cm(size_t(n) * n);
    internal::haar_row_major(key.data(), n, q_rm.data());
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j) q_cm[i + size_t(j) * n] = q_rm[size_t(i) * n + j];
    std::vector<float> t = gaussian_vector(n, 100 + trial);
    testing::normalize(t.data(), n);
    detail::Codeword c;
    c.n = n;
    c.alpha = 1 + trial % 5;
    for (uint32_t k = 0; k < c.alpha; ++k) {
      c.index[k] = 3 * k + trial % 3;
      c.negative[k] = int8_t((k + trial) % 2);
    }
    const Rotated r = rotate_serial(q_cm, t, c, n);
    ASSERT_FALSE(r.degenerate);
    const double mag = 1.0 / std::sqrt(double(c.alpha));
    std::vector<double> cvec(n, 0.0);
    for (uint32_t k = 0; k < c.alpha; ++k) cvec[c.index[k]] = c.negative[k] ? -mag : mag;

    // Reference: P = R·Q with R from u = Q t and the unit w ⟂ u in the plane of u and c.
    double worst_p = 0, worst_orth = 0;
    for (uint32_t i = 0; i < n; ++i)
      for (uint32_t j = 0; j < n; ++j) {
        double pij = 0;
        for (uint32_t k = 0; k < n; ++k) {
          const double rik = (i == k ? 1.0 : 0.0) +
                             (r.cos_theta - 1) * (double(r.u[i]) * r.u[k] + double(r.w[i]) * r.w[k]) +
                             r.sin_theta * (double(r.w[i]) * r.u[k] - double(r.u[i]) * r.w[k]);
          pij += rik * q_cm[k + size_t(j) * n];
        }
        worst_p = std::max(worst_p, std::fabs(pij - r.p[size_t(i) * n + j]));
        double pp = 0;
        for (uint32_t k = 0; k < n; ++k) pp += double(r.p[size_t(i) * n + k]) * r.p[size_t(j) * n + k];
        worst_orth = std::max(worst_orth, std::fabs(pp - (i == j ? 1.0 : 0.0)));
      }
    EXPECT_LT(worst_p, 1e-5) << "trial " << trial;
    EXPECT_LT(worst_orth, 1e-5) << "trial " << trial;
    // P t = c, checked the way enrollment checks it.
    for (uint32_t i = 0; i < n; ++i) {
      double pt = 0;
      for (uint32_t j = 0; j < n; ++j) pt += double(r.p[size_t(i) * n + j]) * t[j];
      EXPECT_TRUE(detail::rotation_residual_ok(float(pt - cvec[i]))) << "trial " << trial << " row " << i;
    }
  }
}

TEST(RotationMath, TemplateAlreadyAtTheCodewordIsDegenerate) {
  constexpr uint32_t n = 8;
  std::vector<float> q_cm(size_t(n) * n, 0.0f);
  for (uint32_t i = 0; i < n; ++i) q_cm[i + size_t(i) * n] = 1.0f;  // Q = I, so u = t
  detail::Codeword c;
  c.n = n;
  c.alpha = 4;
  for (uint32_t k = 0; k < 4; ++k) { c.index[k] = 2 * k; c.negative[k] = int8_t(k == 1); }
  std::vector<float> t(n, 0.0f);
  for (uint32_t k = 0; k < 4; ++k) t[c.index[k]] = c.negative[k] ? -0.5f : 0.5f;
  const Rotated r = rotate_serial(q_cm, t, c, n);
  EXPECT_DOUBLE_EQ(r.cos_theta, 1.0);
  EXPECT_TRUE(r.degenerate);
}

TEST(RotationMath, CodewordEntriesAndThresholds) {
  detail::Codeword c;
  c.n = 16;
  c.alpha = 4;
  for (uint32_t k = 0; k < 4; ++k) { c.index[k] = k; c.negative[k] = int8_t(k % 2); }
  const double mag = detail::codeword_magnitude(4);
  EXPECT_EQ(mag, 0.5);
  EXPECT_EQ(detail::codeword_entry(c, 0, mag), 0.5);
  EXPECT_EQ(detail::codeword_entry(c, 1, mag), -0.5);
  EXPECT_EQ(detail::codeword_entry_f32(c, 1, detail::codeword_magnitude(3)), -float(1.0 / std::sqrt(3.0)));
  EXPECT_TRUE(detail::rotation_degenerate(0.0));
  EXPECT_TRUE(detail::rotation_degenerate(9.9e-7));
  EXPECT_FALSE(detail::rotation_degenerate(1e-6));
  EXPECT_TRUE(detail::rotation_residual_ok(9.9e-5f));
  EXPECT_TRUE(detail::rotation_residual_ok(-9.9e-5f));
  EXPECT_FALSE(detail::rotation_residual_ok(1e-4f));
  EXPECT_FALSE(detail::rotation_residual_ok(-1e-4f));
  EXPECT_FALSE(detail::rotation_residual_ok(std::numeric_limits<float>::quiet_NaN()));
  EXPECT_FALSE(detail::rotation_residual_ok(std::numeric_limits<float>::infinity()));
}

}  // namespace
}  // namespace spheremask
