// Haar Q by Stewart's method and the enrollment rotation (DESIGN §3): orthogonality, the Haar moments,
// golden.json "enroll_properties", P·t = c, PᵀP = I, and P acting as Q off the plane of the rotation.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/engine_internals.hpp"
#include "support/backends.hpp"
#include "cpu/haar_cpu.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/half.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

// max |AᵀA − I| for row-major n×n A (double accumulation). The CPU gives ~5e-7 for n ≤ 512; the
// 1e-5 bounds below leave room for another backend's rounding, not for reduced-precision (TF32) math.
double orthogonality_error(const std::vector<float>& a, uint32_t n) {
  double worst = 0;
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = i; j < n; ++j) {
      double s = 0;
      for (uint32_t k = 0; k < n; ++k) s += double(a[size_t(k) * n + i]) * a[size_t(k) * n + j];
      worst = std::max(worst, std::fabs(s - (i == j ? 1.0 : 0.0)));
    }
  return worst;
}

using testing::square_engine;

class HaarTest : public BackendTest {};

TEST_P(HaarTest, QIsOrthogonal) {
  for (uint32_t n : {64u, 256u}) {
    auto engine = square_engine(n, 8, backend());
    for (int i = 0; i < 2; ++i) {
      const auto key = keyflow::deterministic_key("orth", golden_seed(), n * 10 + i);
      std::vector<float> q(size_t(n) * n);
      internal::EngineInternals::backend(*engine).haar(key.data(), n, q.data());
      EXPECT_LT(orthogonality_error(q, n), 1e-5) << "n " << n;
      // Same key, same matrix (deterministic), different key, different matrix.
      std::vector<float> q2(q.size());
      internal::EngineInternals::backend(*engine).haar(key.data(), n, q2.data());
      EXPECT_EQ(q, q2);
      const auto key2 = keyflow::deterministic_key("orth", golden_seed(), n * 10 + i + 100);
      internal::EngineInternals::backend(*engine).haar(key2.data(), n, q2.data());
      EXPECT_NE(q, q2);
    }
  }
}

// golden.json enroll_properties.Q_diag_first4: Q = Haar(key_Q) for seed 00..1f, template 0, n = 64.
TEST_P(HaarTest, GoldenQDiagonal) {
  const double want[4] = {-0.03125227432411881, 0.19586578982628422, 0.017809356211975963, -0.15985354523180662};
  const uint32_t n = 64;
  auto engine = square_engine(n, 8, backend());
  const auto key = keyflow::deterministic_key("Q", golden_seed(), 0);
  std::vector<float> q(size_t(n) * n);
  internal::EngineInternals::backend(*engine).haar(key.data(), n, q.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(q[size_t(i) * n + i], want[i], 1e-5) << "Q[" << i << "][" << i << "]";
}

// Haar moments (Diaconis–Shahshahani): E[tr Q] = 0, E[(tr Q)²] = 1, E[tr Q²] = 1, Var[tr Q²] = 2,
// exact for these n. With N draws, tr Q and tr Q² have variance ≈ 1 and 2 and are close to normal,
// so the standard errors are 1/√N, √(2/N), √(2/N) and √(8/N); the tolerance is 5 standard errors.
// A Q that is orthogonal but not Haar (e.g. QR without the sign fix, which biases the diagonal)
// shifts these moments by far more.
TEST_P(HaarTest, HaarMomentsSmallN) {
  const int N = 3000;
  for (uint32_t n : {8u, 12u, 16u}) {
    auto engine = square_engine(n, 2, backend());
    std::vector<float> q(size_t(n) * n);
    double s_tr = 0, s_tr_sq = 0, s_tr2 = 0, s_tr2_sq = 0;
    for (int d = 0; d < N; ++d) {
      const auto key = keyflow::deterministic_key("moments", golden_seed(), uint64_t(n) * 100000 + d);
      internal::EngineInternals::backend(*engine).haar(key.data(), n, q.data());
      double tr = 0, tr2 = 0;
      for (uint32_t i = 0; i < n; ++i) tr += q[size_t(i) * n + i];
      for (uint32_t i = 0; i < n; ++i)
        for (uint32_t j = 0; j < n; ++j) tr2 += double(q[size_t(i) * n + j]) * q[size_t(j) * n + i];
      s_tr += tr; s_tr_sq += tr * tr; s_tr2 += tr2; s_tr2_sq += tr2 * tr2;
    }
    const double mean_tr = s_tr / N, mean_tr_sq = s_tr_sq / N, mean_tr2 = s_tr2 / N;
    const double var_tr2 = s_tr2_sq / N - mean_tr2 * mean_tr2;
    EXPECT_NEAR(mean_tr, 0.0, 5 / std::sqrt(double(N))) << "E[tr Q], n " << n;
    EXPECT_NEAR(mean_tr_sq, 1.0, 5 * std::sqrt(2.0 / N)) << "E[(tr Q)^2], n " << n;
    EXPECT_NEAR(mean_tr2, 1.0, 5 * std::sqrt(2.0 / N)) << "E[tr Q^2], n " << n;
    EXPECT_NEAR(var_tr2, 2.0, 5 * std::sqrt(8.0 / N)) << "Var[tr Q^2], n " << n;
  }
}

// The deterministic golden enrollment: template = normalized Gaussian stream of det key "t".
std::vector<float> golden_template(uint32_t n) {
  const auto kt = keyflow::deterministic_key("t", golden_seed(), 0);
  auto t = gaussian_stream(kt.data(), n);
  normalize(t.data(), n);
  return t;
}

TEST_P(HaarTest, GoldenEnrollment) {
  const uint32_t n = 64, alpha = 8;
  const auto t = golden_template(n);
  const double t_first4[4] = {-0.14610760812103948, -0.05025280164258913, -0.033615626169247806, -0.14308509142183226};
  for (int i = 0; i < 4; ++i) ASSERT_NEAR(t[i], t_first4[i], 1e-6);
  auto engine = square_engine(n, alpha, backend());
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  const auto recs = engine->enroll(t.data(), 1, eo);
  ASSERT_EQ(recs.size(), 1u);
  const Record& r = recs[0];
  EXPECT_TRUE(r.deterministic());
  EXPECT_EQ(to_hex(r.salt), "30c06047ad782ad7ad9eb1563f7ea394");
  EXPECT_EQ(to_hex(r.verifier), "95f25940969cca0234e2b1e7105f15a35a2db2248d32f249e44c1b39073f2bfb");
  const auto p = p_as_floats(r.p);
  const double want[4] = {-0.036282219165719685, -0.02018540616164545, -0.036729521865580254, -0.45172441033904515};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(p[j], want[j], 1e-5) << "P[0][" << j << "]";
  // MAC = HMAC(golden mac_key, "spheremask/v2/mac" ‖ root).
  const auto mk = from_hex("4bd043a28888684012e7b2e00ee0d1e4468b4076549cb31abbc034cd1c894f0d");
  crypto::Digest mkd;
  std::copy(mk.begin(), mk.end(), mkd.begin());
  EXPECT_EQ(to_hex(keyflow::record_mac(mkd, r)), to_hex(r.mac));
}

// P·t = c (‖·‖∞ < 1e-4), PᵀP = I, and P agrees with Q off span(t, Qᵀc): the rotation only turns the
// plane through u = Qt and c (DESIGN §3), it is not some other orthogonal map with P t = c.
TEST_P(HaarTest, EnrolledPMapsTemplateToCodeword) {
  for (uint32_t n : {64u, 512u}) {
    const uint32_t alpha = n == 64 ? 8 : 16;
    const size_t count = 3;
    auto engine = square_engine(n, alpha, backend());
    const auto t = random_unit_rows(count, n, 77 + n);
    EnrollOptions eo;
    eo.insecure_seed = golden_seed();
    eo.first_index = 5;
    const auto recs = engine->enroll(t.data(), count, eo);
    for (size_t i = 0; i < count; ++i) {
      const auto p = p_as_floats(recs[i].p);
      const auto kc = keyflow::deterministic_key("c", golden_seed(), 5 + i);
      detail::Codeword c;
      detail::sample_codeword(kc.data(), n, alpha, &c);
      std::vector<double> cv(n, 0.0);
      for (uint32_t k = 0; k < alpha; ++k) cv[c.index[k]] = (c.negative[k] ? -1.0 : 1.0) / std::sqrt(double(alpha));
      const float* ti = t.data() + i * n;
      double worst = 0;
      for (uint32_t r = 0; r < n; ++r) {
        double y = 0;
        for (uint32_t j = 0; j < n; ++j) y += double(p[size_t(r) * n + j]) * ti[j];
        worst = std::max(worst, std::fabs(y - cv[r]));
      }
      EXPECT_LT(worst, 1e-4) << "n " << n << " record " << i;
      EXPECT_LT(orthogonality_error(p, n), 1e-5) << "n " << n << " record " << i;

      // Q from key_Q; x = random vector projected off t and Qᵀc; then P x must equal Q x.
      const auto kq = keyflow::deterministic_key("Q", golden_seed(), 5 + i);
      std::vector<float> q(size_t(n) * n);
      internal::EngineInternals::backend(*engine).haar(kq.data(), n, q.data());
      std::vector<double> qtc(n, 0.0);  // Qᵀc
      for (uint32_t r = 0; r < n; ++r)
        for (uint32_t j = 0; j < n; ++j) qtc[j] += double(q[size_t(r) * n + j]) * cv[r];
      auto x = random_unit_rows(1, n, 1000 + uint32_t(i));
      std::vector<double> xd(x.begin(), x.end());
      // Gram–Schmidt against t and Qᵀc (twice for accuracy).
      for (int pass = 0; pass < 2; ++pass) {
        std::vector<double> e1(ti, ti + n), e2 = qtc;
        double d12 = 0, n1 = 0;
        for (uint32_t j = 0; j < n; ++j) { d12 += e1[j] * e2[j]; n1 += e1[j] * e1[j]; }
        for (uint32_t j = 0; j < n; ++j) e2[j] -= d12 / n1 * e1[j];
        double n2 = 0, a1 = 0, a2 = 0;
        for (uint32_t j = 0; j < n; ++j) { n2 += e2[j] * e2[j]; a1 += xd[j] * e1[j]; a2 += xd[j] * e2[j]; }
        for (uint32_t j = 0; j < n; ++j) xd[j] -= a1 / n1 * e1[j] + a2 / n2 * e2[j];
      }
      double diff = 0;
      for (uint32_t r = 0; r < n; ++r) {
        double px = 0, qx = 0;
        for (uint32_t j = 0; j < n; ++j) { px += p[size_t(r) * n + j] * xd[j]; qx += q[size_t(r) * n + j] * xd[j]; }
        diff = std::max(diff, std::fabs(px - qx));
      }
      EXPECT_LT(diff, 1e-4) << "P differs from Q off the rotation plane, n " << n << " record " << i;
    }
  }
}

// f16 records hold the same P rounded to half: each entry within half an f16 ulp of the f32 record.
TEST_P(HaarTest, F16RecordIsRoundedF32Record) {
  const uint32_t n = 128, alpha = 16;
  const auto t = random_unit_rows(2, n, 3);
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  const auto r32 = square_engine(n, alpha, backend(), Dtype::F32)->enroll(t.data(), 2, eo);
  const auto r16 = square_engine(n, alpha, backend(), Dtype::F16)->enroll(t.data(), 2, eo);
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(r16[i].p.size(), size_t(n) * n * 2);
    EXPECT_EQ(r16[i].verifier, r32[i].verifier);
    EXPECT_EQ(r16[i].salt, r32[i].salt);
    const auto p = p_as_floats(r32[i].p);
    size_t exact = 0;
    for (size_t e = 0; e < p.size(); ++e) {
      const uint16_t h = detail::load_le16(r16[i].p.data() + 2 * e);
      const float back = detail::half_to_float(h);
      // |P| ≤ 1, so an f16 ulp is at most 2^-10 (2^-24 for subnormals); allow one ulp for f32 jitter.
      ASSERT_LE(std::fabs(back - p[e]), std::max(std::fabs(p[e]) * (1.0f / 1024), 6e-8f)) << "entry " << e;
      exact += (h == detail::float_to_half(p[e]));
    }
    EXPECT_GT(exact, p.size() * 99 / 100) << "f16 P should be the round-to-nearest of the f32 P";
  }
}

INSTANTIATE_BACKENDS(HaarTest);

// The CPU workspace's column-major Q is the transpose of haar_row_major's, and reusing a workspace for
// several keys gives the same matrices as fresh workspaces (no state leaks between generations).
TEST(HaarCpu, WorkspaceReuseAndLayout) {
  const uint32_t n = 48;
  internal::HaarWorkspace ws(n);
  for (int i = 0; i < 3; ++i) {
    const auto key = keyflow::deterministic_key("ws", golden_seed(), i);
    const float* cm = ws.generate(key.data());
    std::vector<float> rm(size_t(n) * n);
    internal::haar_row_major(key.data(), n, rm.data());
    for (uint32_t r = 0; r < n; ++r)
      for (uint32_t c = 0; c < n; ++c) ASSERT_EQ(cm[r + size_t(c) * n], rm[size_t(r) * n + c]);
  }
}

}  // namespace
}  // namespace spheremask
