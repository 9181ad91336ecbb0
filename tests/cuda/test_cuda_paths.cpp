// GPU paths the other cross-backend tests leave unexercised: large n (orgqr route, multi-piece
// staging, large-n decode), the identify hit buffer growing past its first capacity, the degenerate
// enrollment status, and the row-major layout of P (checked here on the CPU so the check itself is
// known to discriminate).
#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "backend/backend_impl.hpp"
#include "support/backends.hpp"
#include "crypto/keyflow.hpp"
#include "support/permutation_records.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"
#include "spheremask/detail/decode.hpp"

namespace spheremask {
namespace {

using internal::BackendImpl;
using testing::expect_codeword;
using testing::PermutationRecords;

std::unique_ptr<BackendImpl> backend_of(Backend b) {
  return b == Backend::Cuda ? internal::make_cuda_backend({}) : internal::make_cpu_backend({});
}

std::vector<float> levels(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);  // non-secret test data
  std::uniform_int_distribution<int> level(-6, 6);
  std::vector<float> y(count);
  for (auto& v : y) v = float(level(rng)) / 8.0f;
  return y;
}

// A permutation P decodes exactly; its transpose decodes something else, so the cross-backend tie tests
// (which use these records) fail for a backend that multiplies by Pᵀ.
TEST(BackendLayout, PermutationRecordsCatchATransposedProduct) {
  const uint32_t n = 64, alpha = 8;
  const uint8_t salt[16] = {1};
  const PermutationRecords p(n, 7);
  PermutationRecords transposed = p;
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < n; ++j) transposed.p32[size_t(i) * n + j] = p.p32[size_t(j) * n + i];
  const auto y = levels(n, 3);
  const auto t = p.probes_for(y);
  detail::Codeword want;
  ASSERT_TRUE(detail::decode_codeword(y.data(), n, alpha, &want));
  const auto verifier = keyflow::verifier(salt, want);
  auto cpu = internal::make_cpu_backend({});
  internal::VerifyItem item{p.p(Dtype::F32), t.data(), salt, verifier.data()};
  uint8_t match = 7;
  detail::Codeword got;
  cpu->verify({&item, 1}, n, alpha, Dtype::F32, &match, &got);
  ASSERT_EQ(match, 1);
  expect_codeword(got, want);
  item.p = transposed.p(Dtype::F32);
  cpu->verify({&item, 1}, n, alpha, Dtype::F32, &match, &got);
  EXPECT_EQ(match, 0) << "Pᵀ·t decoded to the same codeword: the layout check would not discriminate";
}

// u = Qᵀc makes Q·u = c (sinθ ≈ 1e-7 < 1e-6): the backend must report it degenerate instead of dividing
// by sinθ. Q comes from the backend itself, so rounding cannot push sinθ over the threshold.
class DegenerateEnroll : public testing::BackendTest {};
TEST_P(DegenerateEnroll, IsFlaggedNotDividedBy) {
  auto impl = backend_of(backend());
  for (uint32_t n : {64u, 256u}) {
    const uint32_t alpha = 8;
    std::array<uint8_t, 32> key_q{}, key_c{};
    key_q[0] = uint8_t(n);
    key_c[1] = 5;
    std::vector<float> q(size_t(n) * n);
    impl->haar(key_q.data(), n, q.data());
    detail::Codeword c;
    detail::sample_codeword(key_c.data(), n, alpha, &c);
    std::vector<double> cv(n, 0.0);
    for (uint32_t k = 0; k < alpha; ++k) cv[c.index[k]] = (c.negative[k] ? -1.0 : 1.0) / std::sqrt(double(alpha));
    std::vector<double> u(n, 0.0);  // Qᵀc, Q row-major
    double norm = 0;
    for (uint32_t j = 0; j < n; ++j) {
      for (uint32_t i = 0; i < n; ++i) u[j] += double(q[size_t(i) * n + j]) * cv[i];
      norm += u[j] * u[j];
    }
    std::vector<float> uf(n);
    for (uint32_t j = 0; j < n; ++j) uf[j] = float(u[j] / std::sqrt(norm));
    std::vector<float> p(size_t(n) * n);
    internal::EnrollItem item{uf.data(), key_q.data(), &c, reinterpret_cast<uint8_t*>(p.data())};
    uint8_t status = 99;
    impl->enroll({&item, 1}, n, Dtype::F32, &status);
    EXPECT_EQ(status, internal::kEnrollDegenerate) << "n = " << n;
  }
}
INSTANTIATE_BACKENDS(DegenerateEnroll);

// 70 identical records × 64 identical probes = 4480 hits, more than the GPU collector's first 4096
// slots: it must grow and decode again, returning exactly the CPU's hits in (probe, record) order.
TEST(CudaBackend, IdentifyHitBufferGrowsPastItsFirstCapacity) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const uint32_t n = 96, alpha = 4, records = 70, probes = 64;
  const PermutationRecords p(n, 9);
  const auto y = levels(n, 4);
  const auto one = p.probes_for(y);
  std::vector<float> t;
  for (uint32_t i = 0; i < probes; ++i) t.insert(t.end(), one.begin(), one.end());
  const uint8_t salt[16] = {3};
  detail::Codeword c;
  ASSERT_TRUE(detail::decode_codeword(y.data(), n, alpha, &c));
  const auto verifier = keyflow::verifier(salt, c);
  std::vector<internal::GalleryItem> gallery(records, {p.p(Dtype::F32), salt, verifier.data()});
  auto cpu = internal::make_cpu_backend({});
  auto gpu = internal::make_cuda_backend({});
  const auto hc = cpu->identify(gallery, t.data(), probes, n, alpha, Dtype::F32);
  const auto hg = gpu->identify(gallery, t.data(), probes, n, alpha, Dtype::F32);
  ASSERT_EQ(hc.size(), size_t(records) * probes);
  ASSERT_EQ(hg.size(), hc.size());
  for (size_t h = 0; h < hc.size(); ++h) {
    ASSERT_EQ(hg[h].probe, hc[h].probe) << h;
    ASSERT_EQ(hg[h].record, hc[h].record) << h;
    expect_codeword(hg[h].codeword, c);
  }
}

// Secrets cross PCIe through a 4 MiB pinned buffer in pieces: Q at n = 1100 (4.6 MiB) comes back in two,
// and must still equal the CPU's Q.
TEST(CudaBackend, SecretCopiesLongerThanOneStagingPiece) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const uint32_t n = 1100;
  std::array<uint8_t, 32> key{};
  key[0] = 0x51;
  std::vector<float> qc(size_t(n) * n), qg(size_t(n) * n);
  internal::make_cpu_backend({})->haar(key.data(), n, qc.data());
  internal::make_cuda_backend({})->haar(key.data(), n, qg.data());
  float worst = 0;
  for (size_t i = 0; i < qc.size(); ++i) worst = std::max(worst, std::fabs(qc[i] - qg[i]));
  EXPECT_LT(worst, 1e-4f);
}

// n = 4096 (α = 10, 108 bits): the default orgqr route, P staged in several pieces (f32 P is 64 MiB),
// decode at large n. Records made on the GPU are accepted by both backends and strangers rejected.
TEST(CudaLargeN, EnrollOnGpuVerifyOnBothBackends) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  for (Dtype dtype : {Dtype::F32, Dtype::F16}) {
    const Params params = testing::square_params(4096, 10, dtype);
    auto gpu = make_engine(params, Backend::Cuda);
    auto cpu = make_engine(params, Backend::Cpu);
    const size_t count = 2;
    const auto t = testing::random_unit_rows(count, params.m, 12);
    const auto other = testing::random_unit_rows(count, params.m, 13);
    const auto records = gpu->enroll(t.data(), count);
    for (auto* engine : {gpu.get(), cpu.get()}) {
      for (auto d : engine->verify(t.data(), count, records)) EXPECT_EQ(d, Decision::Accept);
      for (auto d : engine->verify(other.data(), count, records)) EXPECT_EQ(d, Decision::Reject);
    }
  }
}

}  // namespace
}  // namespace spheremask
