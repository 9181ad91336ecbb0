// Identification on tensor cores (cuda/gallery/split_product.hpp). CPU tests: the f16 hi/lo split
// reconstructs each probe element within its stated error, and a CPU emulation of the split product
// (exact f16 products, f32 accumulation rounded toward zero: the pessimistic tensor-core model) decodes
// to the CPU's codeword whenever the CPU's α-th and (α+1)-th |y| differ by more than decision_bound,
// on constructed near ties; inside the bound decisions do differ (so the comparison can fail), and
// without the lo part they differ where the split does not. Cuda test: the same construction just outside the
// bound, identified on the GPU with tensor cores, gives exactly the CPU backend's hits.
#include <cblas.h>
#include <gtest/gtest.h>
#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

#include "backend/backend_impl.hpp"
#include "cuda/decode/top_alpha.hpp"
#include "cuda/gallery/split_product.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/half.hpp"
#include "support/backends.hpp"

namespace spheremask {
namespace {

using cuda::decision_bound;
using cuda::emulate_split_product;
using cuda::split_element;
using cuda::split_scale;

TEST(SplitProduct, ScaleIsAPowerOfTwoThatPutsTheLargestElementBelow2To14) {
  for (float m : {1e-20f, 1e-6f, 0.044f, 0.5f, 1.0f, 3.0f, 8191.0f, 16384.0f, 1e20f}) {
    const float s = split_scale(m);
    int e = 0;
    EXPECT_EQ(std::frexp(s, &e), 0.5f) << m;  // a power of two
    EXPECT_GE(double(m) * s, 8192.0) << m;
    EXPECT_LT(double(m) * s, 16384.0) << m;
  }
  EXPECT_EQ(split_scale(1e-35f), std::ldexp(1.0f, 100));  // clamped: s stays a normal float
  EXPECT_EQ(split_scale(0.0f), 1.0f);
  EXPECT_EQ(split_scale(std::nanf("")), 1.0f);
}

TEST(SplitProduct, HiPlusLoReconstructsEachElementWithinTheStatedError) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float magnitude : {1.0f, 0.05f, 1e-4f}) {
    std::vector<float> t(4096);
    for (auto& v : t) v = normal(rng) * magnitude;
    t[7] = 0.0f;
    t[8] = 1e-12f * magnitude;  // hi and lo in f16's subnormals
    float max_abs = 0;
    for (float v : t) max_abs = std::max(max_abs, std::fabs(v));
    const float s = split_scale(max_abs);
    double worst_relative = 0;
    for (float v : t) {
      uint16_t hi = 0, lo = 0;
      split_element(v, s, &hi, &lo);
      const double h = detail::half_to_float(hi), l = detail::half_to_float(lo);
      ASSERT_TRUE(std::isfinite(h) && std::isfinite(l));
      const double tau = double(v) * s;
      const double err = std::fabs(tau - (h + l / 2048.0));
      ASSERT_LE(err, 0x1p-22 * std::fabs(tau) + 0x1p-36) << v;
      if (std::fabs(tau) > 1.0) worst_relative = std::max(worst_relative, err / std::fabs(tau));
    }
    // The split is ~22 bits, not hi's 11: the lo part does its work.
    EXPECT_LT(worst_relative, 0x1p-21);
    EXPECT_GT(worst_relative, 0x1p-30);  // and f16 pairs are not f32: the error is real, so is the bound
  }
}

// The bound at the dimensions the benchmarks use, for a unit probe and a rotation-like P
// (Σ_j |P_ij||t_j| ≤ 1): what EngineOptions::identify_tensor_cores documents.
TEST(SplitProduct, DecisionBoundAtN512IsAbout3e4) {
  const double g = decision_bound(512, 1.0, std::sqrt(512.0), split_scale(0.2f));
  EXPECT_GT(g, 2.9e-4);
  EXPECT_LT(g, 3.2e-4);
  EXPECT_LT(decision_bound(128, 1.0, 12.0, 1.0f), g);  // grows with n
}

// A near tie: P a random orthogonal matrix rounded to f16, t solved so that y = P t has its α-th and (α+1)-th |y| at a gap of
// `gap` (in exact arithmetic); y_cpu is what the CPU backend computes (cblas_sgemm over P widened).
struct NearTie {
  std::vector<uint16_t> p;
  std::vector<float> p32;
  std::vector<float> t;
  std::vector<float> y_cpu;
  double cpu_gap = 0;       // α-th minus (α+1)-th |y_cpu| (rank order of decode.hpp)
  double abs_dot_max = 0;   // max_i Σ_j |P_ij||t_j|
  double abs_row_max = 0;   // max_i Σ_j |P_ij|
};

constexpr uint32_t kAlpha = 16;

double top_gap(const std::vector<float>& y, uint32_t alpha) {
  std::vector<uint32_t> order(y.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return detail::ranks_before(std::fabs(y[a]), a, std::fabs(y[b]), b);
  });
  return double(std::fabs(y[order[alpha - 1]])) - double(std::fabs(y[order[alpha]]));
}

// A random orthogonal P rounded to f16 and the solutions of P t = y (y: a target with an exact tie at
// ranks α and α+1) and of P d = sign(y_B)·e_B (lowers |y_B| alone); near ties at any gap derive from it.
struct TieFamily {
  uint32_t n;
  std::vector<uint16_t> p;
  std::vector<float> p32;
  std::vector<double> solved;  // [t at the tie | d]
};

TieFamily make_family(uint32_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0 / std::sqrt(double(n)));
  TieFamily f{n, std::vector<uint16_t>(size_t(n) * n), std::vector<float>(size_t(n) * n), {}};
  std::vector<double> q(f.p.size()), tau(n);  // Q of a Gaussian matrix's QR: Haar-like, well conditioned
  for (auto& v : q) v = normal(rng);
  EXPECT_EQ(LAPACKE_dgeqrf(LAPACK_COL_MAJOR, int(n), int(n), q.data(), int(n), tau.data()), 0);
  EXPECT_EQ(LAPACKE_dorgqr(LAPACK_COL_MAJOR, int(n), int(n), int(n), q.data(), int(n), tau.data()), 0);
  std::vector<double> a(f.p.size());  // column-major for LAPACKE
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) {
      const uint16_t h = detail::float_to_half(float(q[i + size_t(j) * n]));
      f.p[size_t(i) * n + j] = h;
      f.p32[size_t(i) * n + j] = detail::half_to_float(h);
      a[i + size_t(j) * n] = f.p32[size_t(i) * n + j];
    }
  // Target y: random, with the (α+1)-th magnitude raised to the α-th (a tie) and every other element
  // moved 0.01 away from it (far beyond any bound here, so that the tie is the only near one).
  std::vector<double> y(n);
  for (auto& v : y) v = normal(rng);
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t x, uint32_t z) { return std::fabs(y[x]) > std::fabs(y[z]); });
  const uint32_t ia = order[kAlpha - 1], ib = order[kAlpha];
  y[ib] = std::copysign(std::fabs(y[ia]), y[ib]);
  for (uint32_t r = 0; r < n; ++r) {
    double& v = y[order[r]];
    if (r + 1 < kAlpha) v = std::copysign(std::fabs(v) + 0.01, v);
    if (r > kAlpha) v = std::copysign(std::max(std::fabs(v) - 0.01, 0.0), v);
  }
  f.solved.assign(2 * size_t(n), 0.0);
  std::copy(y.begin(), y.end(), f.solved.begin());
  f.solved[n + ib] = y[ib] < 0 ? -1.0 : 1.0;
  std::vector<lapack_int> pivots(n);
  EXPECT_EQ(LAPACKE_dgesv(LAPACK_COL_MAJOR, int(n), 2, a.data(), int(n), pivots.data(), f.solved.data(), int(n)), 0);
  return f;
}

// The family's probe at `gap` (absolute, in exact arithmetic) with what the CPU backend computes for it.
NearTie at_gap(const TieFamily& f, double gap) {
  const uint32_t n = f.n;
  NearTie c;
  c.p = f.p;
  c.p32 = f.p32;
  c.t.resize(n);
  for (uint32_t j = 0; j < n; ++j) c.t[j] = float(f.solved[j] - gap * f.solved[n + j]);
  c.y_cpu.assign(n, 0.0f);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 1, int(n), int(n), 1.0f, c.t.data(), int(n), c.p32.data(),
              int(n), 0.0f, c.y_cpu.data(), int(n));
  for (uint32_t i = 0; i < n; ++i) {
    double dot = 0, row = 0;
    for (uint32_t j = 0; j < n; ++j) {
      dot += std::fabs(double(c.p32[size_t(i) * n + j]) * c.t[j]);
      row += std::fabs(c.p32[size_t(i) * n + j]);
    }
    c.abs_dot_max = std::max(c.abs_dot_max, dot);
    c.abs_row_max = std::max(c.abs_row_max, row);
  }
  c.cpu_gap = top_gap(c.y_cpu, kAlpha);
  return c;
}

// Gap in units of decision_bound (taken at the tie's own t and scale).
NearTie make_near_tie(const TieFamily& f, double relative_gap) {
  const NearTie tie = at_gap(f, 0.0);
  float max_abs = 0;
  for (float v : tie.t) max_abs = std::max(max_abs, std::fabs(v));
  return at_gap(f, relative_gap * decision_bound(f.n, tie.abs_dot_max, tie.abs_row_max, split_scale(max_abs)));
}

bool same_codeword(const std::vector<float>& y1, const std::vector<float>& y2, uint32_t alpha) {
  detail::Codeword c1, c2;
  const uint32_t n = uint32_t(y1.size());
  if (!detail::decode_codeword(y1.data(), n, alpha, &c1) || !detail::decode_codeword(y2.data(), n, alpha, &c2))
    return false;
  return std::equal(c1.index, c1.index + alpha, c2.index) && std::equal(c1.negative, c1.negative + alpha, c2.negative);
}

// The emulated tensor-core y of a near tie (split with the tie's own scale).
std::vector<float> emulated(const NearTie& c, bool toward_zero, bool with_lo, float* scale_out = nullptr) {
  const uint32_t n = uint32_t(c.t.size());
  float max_abs = 0;
  for (float v : c.t) max_abs = std::max(max_abs, std::fabs(v));
  const float s = split_scale(max_abs);
  std::vector<uint16_t> hi(n), lo(n);
  for (uint32_t j = 0; j < n; ++j) split_element(c.t[j], s, &hi[j], &lo[j]);
  std::vector<float> y(n);
  emulate_split_product(c.p.data(), n, hi.data(), lo.data(), s, toward_zero, with_lo, y.data());
  if (scale_out) *scale_out = s;
  return y;
}

TEST(SplitProduct, EmulatedDecisionsMatchTheCpuOutsideTheBoundAndDifferOnlyInsideIt) {
  constexpr uint32_t n = 256;
  const double relative_gaps[] = {0.0, 1e-4, 1e-3, 1e-2, 0.05, 0.2, 0.5, 0.9, 1.05, 1.2, 1.5, 2.0, 4.0};
  size_t outside = 0, differ_inside = 0, lo_matters = 0;
  for (uint32_t seed = 1; seed <= 8; ++seed) {
    const TieFamily family = make_family(n, seed);
    for (double rel : relative_gaps) {
      const NearTie c = make_near_tie(family, rel);
      float s = 1;
      const auto y_rz = emulated(c, true, true, &s);
      const auto y_rn = emulated(c, false, true);
      const double bound = decision_bound(n, c.abs_dot_max, c.abs_row_max, s);
      const bool same_rz = same_codeword(c.y_cpu, y_rz, kAlpha), same_rn = same_codeword(c.y_cpu, y_rn, kAlpha);
      if (c.cpu_gap > bound) {
        ++outside;
        EXPECT_TRUE(same_rz) << "seed " << seed << " gap " << c.cpu_gap << " > bound " << bound;
        EXPECT_TRUE(same_rn) << "seed " << seed << " gap " << c.cpu_gap << " > bound " << bound;
      } else if (!same_rz || !same_rn) {
        ++differ_inside;
      }
      if (same_rn && !same_codeword(c.y_cpu, emulated(c, false, false), kAlpha)) ++lo_matters;
    }
  }
  EXPECT_GE(outside, 8u * 4);       // the cases at 1.05–4 bounds (the constructed gap is what the CPU sees)
  EXPECT_GT(differ_inside, 0u);     // near ties do flip: the comparison is live
  EXPECT_GT(lo_matters, 0u);        // hi alone (an f16 probe) flips ties the split keeps
}

// --- on the GPU ---

// Near ties just outside the bound (1.05–2 bounds): each probe k against the gallery of the ties'
// matrices (record k holds tie k's P, and the verifier of the codeword the CPU decodes for probe k).
TEST(CudaTensorCoreIdentify, NearTiesJustOutsideTheBoundMatchTheCpu) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  constexpr uint32_t n = 256;
  std::vector<NearTie> ties;
  const double relative_gaps[] = {1.05, 1.2, 1.5, 2.0};
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    const TieFamily family = make_family(n, 100 + seed);
    for (double rel : relative_gaps) ties.push_back(make_near_tie(family, rel));
  }
  std::vector<float> probes;
  float max_abs = 0;
  for (const auto& c : ties) {
    probes.insert(probes.end(), c.t.begin(), c.t.end());
    for (float v : c.t) max_abs = std::max(max_abs, std::fabs(v));
  }
  const float s = split_scale(max_abs);  // one scale per call: the bound is taken with it
  std::vector<uint8_t> salts(ties.size() * 16), verifiers(ties.size() * 32);
  std::vector<internal::GalleryItem> items;
  size_t outside = 0;
  for (size_t k = 0; k < ties.size(); ++k) {
    const NearTie& c = ties[k];
    if (c.cpu_gap > decision_bound(n, c.abs_dot_max, c.abs_row_max, s)) ++outside;
    for (int b = 0; b < 16; ++b) salts[k * 16 + b] = uint8_t(k * 31 + b);
    detail::Codeword cw;
    ASSERT_TRUE(detail::decode_codeword(c.y_cpu.data(), n, kAlpha, &cw));
    cuda::verifier_digest(salts.data() + k * 16, cw, verifiers.data() + k * 32);
    items.push_back({reinterpret_cast<const uint8_t*>(c.p.data()), salts.data() + k * 16, verifiers.data() + k * 32});
  }
  ASSERT_GE(outside, ties.size() - 2);  // the construction lands outside the bound (t's rounding aside)
  auto cpu = internal::make_cpu_backend({});
  const auto expected = cpu->identify(items, probes.data(), ties.size(), n, kAlpha, Dtype::F16);
  ASSERT_EQ(expected.size(), ties.size());  // each probe finds its own record, and nothing else
  EngineOptions options;
  options.identify_tensor_cores = true;
  auto gpu = internal::make_cuda_backend(options);
  const auto gallery = gpu->make_gallery(items, n, Dtype::F16);
  const auto got = gallery->identify(probes.data(), ties.size(), kAlpha);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t h = 0; h < got.size(); ++h) {
    EXPECT_EQ(got[h].record, expected[h].record) << h;
    EXPECT_EQ(got[h].probe, expected[h].probe) << h;
  }
  // The default (f32) path agrees as well.
  const auto f32_path = internal::make_cuda_backend({})->identify(items, probes.data(), ties.size(), n, kAlpha,
                                                                   Dtype::F16);
  ASSERT_EQ(f32_path.size(), expected.size());
}

// An engine with identify_tensor_cores finds every genuine probe of an enrolled f16 gallery, as the CPU.
TEST(CudaTensorCoreIdentify, EngineIdentifyMatchesCpuOnEnrolledRecords) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Params p;
  p.m = p.n = 256;
  p.alpha = kAlpha;
  p.dtype = Dtype::F16;
  EngineOptions options;
  options.identify_tensor_cores = true;
  auto gpu = make_engine(p, Backend::Cuda, options);
  auto cpu = make_engine(p, Backend::Cpu);
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> templates(64 * 256);
  for (auto& v : templates) v = normal(rng);
  EnrollOptions eo;
  eo.insecure_seed = std::array<uint8_t, 32>{9};
  const auto records = cpu->enroll(templates.data(), 64, eo);
  const auto gallery = gpu->load_gallery(records);
  const auto got = gpu->identify(templates.data(), 64, *gallery);
  const auto expected = cpu->identify(templates.data(), 64, records);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k], expected[k]) << k;
    EXPECT_EQ(got[k], std::vector<uint32_t>{uint32_t(k)}) << k;
  }
}

}  // namespace
}  // namespace spheremask
