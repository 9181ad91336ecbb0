// Compact-WY formation of Haar Q (DESIGN §3). The CPU tests run the GPU path's exact
// call shapes (haar_method.hpp: wy_shapes, t_inverse_element) through OpenBLAS and check Q_wy == Q_orgqr,
// so the algebra is verified on machines without a GPU. The Cuda tests compare both GPU paths with the
// CPU Haar and with each other.
#include <gtest/gtest.h>

#include <cblas.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "cuda/haar/haar_method.hpp"
#include "backend/backend_impl.hpp"
#include "support/backends.hpp"
#include "support/expect_error.hpp"
#include "cpu/haar_cpu.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

using cuda::HaarMethod;

std::array<uint8_t, 32> key_for(uint32_t n) {
  std::array<uint8_t, 32> k{};
  for (int i = 0; i < 32; ++i) k[i] = uint8_t(3 * i + n);
  return k;
}

// Q (column-major) by the compact-WY calls of haar_gpu.cpp form_q_compact_wy, one matrix, then the sign fix.
std::vector<float> haar_by_compact_wy(const uint8_t key[32], uint32_t n) {
  const cuda::WyShapes w = cuda::wy_shapes(n);
  std::vector<float> a(size_t(n) * n, 0.0f), tau(n), sign(n);  // zeroed like the GPU's memset
  internal::householder_vectors(key, n, a.data(), tau.data(), sign.data());
  std::vector<float> s(size_t(w.stride_s)), x(a.begin(), a.begin() + w.stride_x), q(size_t(w.stride_a), 0.0f);
  cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, w.k, w.k, w.n, 1.0f, a.data(), w.ld_v, a.data(), w.ld_v, 0.0f,
              s.data(), w.ld_s);
  for (int j = 0; j < w.k; ++j)
    for (int i = 0; i < w.k; ++i) {
      float& e = s[size_t(i) + size_t(j) * w.k];
      e = cuda::t_inverse_element(uint32_t(i), uint32_t(j), e, tau.data());
    }
  cblas_strsm(CblasColMajor, CblasRight, CblasUpper, CblasTrans, CblasNonUnit, w.n, w.k, 1.0f, s.data(), w.ld_s,
              x.data(), w.ld_x);
  for (uint32_t i = 0; i < n; ++i) q[size_t(i) * n + i] = 1.0f;
  cblas_sgemm(CblasColMajor, CblasNoTrans, CblasTrans, w.n, w.n, w.k, -1.0f, a.data(), w.ld_v, x.data(), w.ld_x, 1.0f,
              q.data(), w.ld_q);
  for (uint32_t k = 0; k < n; ++k)
    for (uint32_t i = 0; i < n; ++i) q[i + size_t(k) * n] *= sign[k];
  return q;
}

TEST(CompactWyReference, EqualsOrgqrOnCpu) {
  for (uint32_t n : {2u, 3u, 17u, 64u, 200u}) {
    const auto key = key_for(n);
    internal::HaarWorkspace ws(n);
    const float* q_orgqr = ws.generate(key.data());
    const auto q_wy = haar_by_compact_wy(key.data(), n);
    float worst = 0;
    for (size_t e = 0; e < q_wy.size(); ++e) worst = std::max(worst, std::fabs(q_wy[e] - q_orgqr[e]));
    EXPECT_LT(worst, 2e-5f) << "n=" << n;
  }
}

TEST(CompactWyReference, TInverseIsUpperWithReciprocalTauDiagonal) {
  const float tau[3] = {1.25f, 2.0f, 1.0f};
  EXPECT_EQ(cuda::t_inverse_element(0, 0, 7.0f, tau), 0.8f);
  EXPECT_EQ(cuda::t_inverse_element(1, 1, 7.0f, tau), 0.5f);
  EXPECT_EQ(cuda::t_inverse_element(0, 2, 7.0f, tau), 7.0f);  // strictly upper: VᵀV kept
  EXPECT_EQ(cuda::t_inverse_element(2, 0, 7.0f, tau), 0.0f);  // strictly lower: zero
  const auto w = cuda::wy_shapes(5);
  EXPECT_EQ(w.k, 4);
  EXPECT_EQ(w.stride_x, 20);  // X is the first k columns of A: n·k
  EXPECT_EQ(w.stride_s, 16);
  EXPECT_EQ(w.stride_a, 25);
}

TEST(HaarMethodChoice, ByNAndOption) {
  EXPECT_EQ(cuda::haar_method_for(512, CudaHaar::Auto), HaarMethod::CompactWy);
  EXPECT_EQ(cuda::haar_method_for(cuda::kCompactWyMaxN, CudaHaar::Auto), HaarMethod::CompactWy);
  EXPECT_EQ(cuda::haar_method_for(cuda::kCompactWyMaxN + 1, CudaHaar::Auto), HaarMethod::Orgqr);
  EXPECT_EQ(cuda::haar_method_for(512, CudaHaar::Orgqr), HaarMethod::Orgqr);
  EXPECT_EQ(cuda::haar_method_for(8192, CudaHaar::Wy), HaarMethod::CompactWy);
  EXPECT_ERROR_CODE(cuda::haar_method_for(512, CudaHaar(3)), ErrorCode::InvalidArgument, "cuda_haar");
}

EngineOptions haar_option(CudaHaar haar) {
  EngineOptions o;
  o.cuda_haar = haar;
  return o;
}

TEST(CudaHaarPaths, OrgqrAndCompactWyMatchCpuHaar) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto cpu = internal::make_cpu_backend({});
  auto gpu_orgqr = internal::make_cuda_backend(haar_option(CudaHaar::Orgqr));
  auto gpu_wy = internal::make_cuda_backend(haar_option(CudaHaar::Wy));
  for (uint32_t n : {2u, 64u, 257u, 512u, 1024u}) {
    const auto key = key_for(n);
    std::vector<float> q_cpu(size_t(n) * n), q_orgqr(q_cpu.size()), q_wy(q_cpu.size());
    cpu->haar(key.data(), n, q_cpu.data());
    gpu_orgqr->haar(key.data(), n, q_orgqr.data());
    gpu_wy->haar(key.data(), n, q_wy.data());
    float d_orgqr = 0, d_wy = 0;
    for (size_t e = 0; e < q_cpu.size(); ++e) {
      d_orgqr = std::max(d_orgqr, std::fabs(q_orgqr[e] - q_cpu[e]));
      d_wy = std::max(d_wy, std::fabs(q_wy[e] - q_cpu[e]));
    }
    EXPECT_LT(d_orgqr, 1e-4f) << "orgqr n=" << n;
    EXPECT_LT(d_wy, 1e-4f) << "wy n=" << n;
  }
}

// A batch through enroll on each path: the same P (within 1e-4) and every record verifies.
TEST(CudaHaarPaths, BatchedEnrollmentAgreesAcrossPaths) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Params params;
  params.m = params.n = 512;
  params.alpha = 16;
  auto gpu_orgqr = make_engine(params, Backend::Cuda, haar_option(CudaHaar::Orgqr));
  auto gpu = make_engine(params, Backend::Cuda, haar_option(CudaHaar::Wy));
  const size_t count = 40;
  std::vector<float> t(count * params.m);
  for (size_t i = 0; i < t.size(); ++i) t[i] = std::sin(0.37f * float(i) + 0.1f * float(i % 7));  // non-secret data
  EnrollOptions options;
  options.insecure_seed = key_for(7);
  const std::vector<Record> by_orgqr = gpu_orgqr->enroll(t.data(), count, options);
  const std::vector<Record> by_wy = gpu->enroll(t.data(), count, options);
  ASSERT_EQ(by_orgqr.size(), by_wy.size());
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(by_orgqr[i].verifier, by_wy[i].verifier);
    float worst = 0;
    for (size_t e = 0; e + 4 <= by_wy[i].p.size(); e += 4) {
      float a, b;
      std::memcpy(&a, by_orgqr[i].p.data() + e, 4);
      std::memcpy(&b, by_wy[i].p.data() + e, 4);
      worst = std::max(worst, std::fabs(a - b));
    }
    EXPECT_LT(worst, 1e-4f) << "record " << i;
  }
  for (auto d : gpu->verify(t.data(), count, by_wy)) EXPECT_EQ(d, Decision::Accept);
}

}  // namespace
}  // namespace spheremask
