// Cross-backend checks of Backend::Cuda against the CPU reference: same Gaussian stream,
// same Haar Q, identical decode and verifier (ties included), same P from a deterministic seed,
// records made on one backend verified and identified on the other, f16 records.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "backend/backend_impl.hpp"
#include "support/backends.hpp"
#include "crypto/keyflow.hpp"
#include "support/permutation_records.hpp"
#include "support/record_setup.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

using internal::BackendImpl;
using testing::expect_codeword;
using testing::PermutationRecords;

std::array<uint8_t, 32> seed_0to31() {
  std::array<uint8_t, 32> s{};
  for (int i = 0; i < 32; ++i) s[i] = uint8_t(i);
  return s;
}

struct Pair {
  std::unique_ptr<BackendImpl> cpu = internal::make_cpu_backend({});
  std::unique_ptr<BackendImpl> gpu = internal::make_cuda_backend({});
};

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

TEST(CudaBackend, ReportsItsKindAndDevice) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto gpu = internal::make_cuda_backend({});
  EXPECT_EQ(gpu->kind(), Backend::Cuda);
  EXPECT_FALSE(gpu->device_name().empty());
  EngineOptions bad;
  bad.device = 1000;
  try {
    internal::make_cuda_backend(bad);
    FAIL() << "device 1000 accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
  }
}

TEST(CudaBackend, GaussianStreamMatchesCpuAndGolden) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Pair b;
  const auto key = seed_0to31();
  const float golden[16] = {-1.027562141418457f,   0.612450897693634f,   -0.279838502407074f,  1.2056337594985962f,
                            0.38616806268692017f,  -1.2276029586791992f, -1.4027531147003174f, -0.6695385575294495f,
                            -0.21835651993751526f, -0.3885200023651123f, -1.0371372699737549f, 0.8301036953926086f,
                            0.1837061643600464f,   0.3797091245651245f,  0.9236490726470947f,  0.2865181267261505f};
  std::vector<float> g(16);
  b.gpu->gaussian(key.data(), 0, 16, g.data());
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(g[i], golden[i], 1e-6 * std::max(1.0f, std::fabs(golden[i]))) << i;
  for (uint64_t first : {uint64_t(0), uint64_t(1), uint64_t(123457), uint64_t(1) << 33}) {
    std::vector<float> c(5000), d(5000);
    b.cpu->gaussian(key.data(), first, c.size(), c.data());
    b.gpu->gaussian(key.data(), first, d.size(), d.data());
    for (size_t i = 0; i < c.size(); ++i)
      ASSERT_NEAR(c[i], d[i], 1e-6 * std::max(1.0f, std::fabs(c[i]))) << "element " << first + i;
  }
  std::vector<float> e(3);
  b.gpu->gaussian(key.data(), 1000, 2, e.data());
  b.gpu->gaussian(key.data(), 65535, 1, e.data() + 2);
  EXPECT_NEAR(e[0], -0.2799170911312103f, 1e-6);
  EXPECT_NEAR(e[1], 0.7424534559249878f, 1e-6);
  EXPECT_NEAR(e[2], -0.7762613296508789f, 1e-6);
}

TEST(CudaBackend, HaarMatchesCpuAndIsOrthogonal) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Pair b;
  for (uint32_t n : {2u, 64u, 257u, 512u}) {
    auto key = seed_0to31();
    key[0] = uint8_t(n);
    std::vector<float> qc(size_t(n) * n), qg(size_t(n) * n);
    b.cpu->haar(key.data(), n, qc.data());
    b.gpu->haar(key.data(), n, qg.data());
    EXPECT_LT(max_abs_diff(qc, qg), 1e-4f) << "n=" << n;
    double worst = 0;  // QᵀQ = I
    for (uint32_t i = 0; i < std::min(n, 64u); ++i)
      for (uint32_t j = 0; j < n; ++j) {
        double dot = 0;
        for (uint32_t r = 0; r < n; ++r) dot += double(qg[size_t(r) * n + i]) * qg[size_t(r) * n + j];
        worst = std::max(worst, std::fabs(dot - (i == j ? 1.0 : 0.0)));
      }
    EXPECT_LT(worst, 1e-4) << "n=" << n;
  }
}

// Golden values of spec.py (enroll_properties, deterministic key_Q with n = 64).
TEST(CudaBackend, HaarAndRotationMatchGolden) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Pair b;
  const uint32_t n = 64, alpha = 8;
  const auto seed = seed_0to31();
  const auto key_q = keyflow::deterministic_key("Q", seed, 0);
  const auto key_c = keyflow::deterministic_key("c", seed, 0);
  const auto key_t = keyflow::deterministic_key("t", seed, 0);
  std::vector<float> q(n * n);
  b.gpu->haar(key_q.data(), n, q.data());
  const double q_diag[4] = {-0.03125227432411881, 0.19586578982628422, 0.017809356211975963, -0.15985354523180662};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(q[size_t(i) * n + i], q_diag[i], 1e-5) << i;
  std::vector<float> t(n);
  b.gpu->gaussian(key_t.data(), 0, n, t.data());
  double norm = 0;
  for (float v : t) norm += double(v) * v;
  for (float& v : t) v = float(v / std::sqrt(norm));
  const double t_first[4] = {-0.14610760812103948, -0.05025280164258913, -0.033615626169247806, -0.14308509142183226};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(t[i], t_first[i], 1e-6) << i;
  detail::Codeword c;
  detail::sample_codeword(key_c.data(), n, alpha, &c);
  std::vector<float> p(n * n);
  internal::EnrollItem item{t.data(), key_q.data(), &c, reinterpret_cast<uint8_t*>(p.data())};
  uint8_t status = 99;
  b.gpu->enroll({&item, 1}, n, Dtype::F32, &status);
  EXPECT_EQ(status, internal::kEnrollOk);
  const double p_row0[4] = {-0.036282219165719685, -0.02018540616164545, -0.036729521865580254, -0.45172441033904515};
  for (int j = 0; j < 4; ++j) EXPECT_NEAR(p[j], p_row0[j], 1e-5) << j;
}

// P = I makes y = probe exactly, so the decode (ties, −0.0, NaN) is tested through verify and identify.
TEST(CudaBackend, DecodeAndVerifierMatchCpuOnTies) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Pair b;
  const uint8_t salt[16] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
  // Golden tie vector (spec.py decode_ties): indices {0, 1, 4}, signs {+, −, +}.
  {
    const uint32_t n = 8, alpha = 3;
    const PermutationRecords id(n, 1);
    const std::vector<float> y = {0.5f, -0.5f, 0.25f, -0.25f, 0.5f, 0.0f, -0.0f, 0.1f};
    const std::vector<float> t = id.probes_for(y);
    detail::Codeword want;
    want.n = n;
    want.alpha = alpha;
    want.index[0] = 0; want.index[1] = 1; want.index[2] = 4;
    want.negative[0] = 0; want.negative[1] = 1; want.negative[2] = 0;
    const auto verifier = keyflow::verifier(salt, want);
    for (Dtype d : {Dtype::F32, Dtype::F16})
      for (BackendImpl* backend : {b.cpu.get(), b.gpu.get()}) {
        internal::VerifyItem item{id.p(d), t.data(), salt, verifier.data()};
        uint8_t match = 7;
        detail::Codeword got;
        backend->verify({&item, 1}, n, alpha, d, &match, &got);
        ASSERT_EQ(match, 1) << backend_name(backend->kind());
        expect_codeword(got, want);
      }
  }
  // Many random vectors with exact ties: the GPU must accept exactly the codeword the CPU decodes.
  std::mt19937 rng(11);  // non-secret test data
  std::uniform_int_distribution<int> level(-5, 5);
  for (uint32_t trial = 0; trial < 12; ++trial) {
    const uint32_t n = 100 + 157 * trial, alpha = 1 + 5 * trial;
    const PermutationRecords id(n, 2 + trial);
    const uint32_t batch = 3;
    std::vector<float> y(size_t(batch) * n);
    for (auto& v : y) v = float(level(rng)) / 8.0f;
    const std::vector<float> t = id.probes_for(y);
    std::vector<std::array<uint8_t, 32>> verifiers(batch);
    std::vector<detail::Codeword> want(batch);
    std::vector<internal::VerifyItem> items(batch);
    for (uint32_t i = 0; i < batch; ++i) {
      ASSERT_TRUE(detail::decode_codeword(y.data() + size_t(i) * n, n, alpha, &want[i]));
      verifiers[i] = keyflow::verifier(salt, want[i]);
      if (i == 2) verifiers[i][0] ^= 1;  // one wrong verifier: no match
    }
    // f16 too (P = permutation and y = k/8 are exact in half): n % 8 == 0 takes the f16 GEMV's
    // vector-load path, the other n its scalar path.
    for (Dtype d : {Dtype::F32, Dtype::F16}) {
      for (uint32_t i = 0; i < batch; ++i) items[i] = {id.p(d), t.data() + size_t(i) * n, salt, verifiers[i].data()};
      std::vector<uint8_t> match(batch, 7);
      std::vector<detail::Codeword> got(batch);
      b.gpu->verify(items, n, alpha, d, match.data(), got.data());
      EXPECT_EQ(match[0], 1) << "trial " << trial;
      EXPECT_EQ(match[1], 1) << "trial " << trial;
      EXPECT_EQ(match[2], 0) << "trial " << trial;
      expect_codeword(got[0], want[0]);
      expect_codeword(got[1], want[1]);
    }
  }
  // Non-finite y never matches.
  {
    const uint32_t n = 8, alpha = 3;
    const PermutationRecords id(n, 20);
    std::vector<float> y = {0.5f, -0.5f, 0.25f, -0.25f, 0.5f, 0.0f, -0.0f, 0.1f};
    detail::Codeword c;
    ASSERT_TRUE(detail::decode_codeword(y.data(), n, alpha, &c));
    const auto verifier = keyflow::verifier(salt, c);
    y[7] = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> t = id.probes_for(y);
    internal::VerifyItem item{id.p(Dtype::F32), t.data(), salt, verifier.data()};
    uint8_t match = 7;
    detail::Codeword got;
    b.gpu->verify({&item, 1}, n, alpha, Dtype::F32, &match, &got);
    EXPECT_EQ(match, 0);
  }
}

TEST(CudaBackend, IdentifyMatchesCpu) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  Pair b;
  const uint32_t n = 96, alpha = 4, probes = 5, records = 6;
  std::mt19937 rng(5);  // non-secret test data
  std::uniform_int_distribution<int> level(-4, 4);
  std::vector<float> y(size_t(probes) * n);
  for (auto& v : y) v = float(level(rng)) / 4.0f;
  // Every record has the same permutation P and the verifier of probe r % probes (records 5 and 0 both
  // accept probe 0).
  const PermutationRecords id(n, 21);
  const std::vector<float> t = id.probes_for(y);
  std::vector<std::array<uint8_t, 16>> salts(records);
  std::vector<std::array<uint8_t, 32>> verifiers(records);
  for (uint32_t r = 0; r < records; ++r) {
    salts[r].fill(uint8_t(r));
    detail::Codeword c;
    ASSERT_TRUE(detail::decode_codeword(y.data() + size_t(r % probes) * n, n, alpha, &c));
    verifiers[r] = keyflow::verifier(salts[r].data(), c);
  }
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    std::vector<internal::GalleryItem> gallery(records);
    for (uint32_t r = 0; r < records; ++r) gallery[r] = {id.p(d), salts[r].data(), verifiers[r].data()};
    const auto hc = b.cpu->identify(gallery, t.data(), probes, n, alpha, d);
    const auto hg = b.gpu->identify(gallery, t.data(), probes, n, alpha, d);
    ASSERT_EQ(hc.size(), hg.size());
    ASSERT_GE(hg.size(), size_t(records));
    for (size_t h = 0; h < hc.size(); ++h) {
      EXPECT_EQ(hc[h].probe, hg[h].probe);
      EXPECT_EQ(hc[h].record, hg[h].record);
      expect_codeword(hg[h].codeword, hc[h].codeword);
    }
  }
}

// Enrollment from one deterministic seed: the same P (within 1e-4), salts and verifiers on both
// backends, and records from each accepted by the other.
TEST(CudaBackend, DeterministicEnrollmentAgreesAcrossBackends) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  for (Dtype dtype : {Dtype::F32, Dtype::F16}) {
    const Params params = testing::square_params(256, 16, dtype);
    auto cpu = make_engine(params, Backend::Cpu);
    auto gpu = make_engine(params, Backend::Cuda);
    const size_t count = 5;
    std::mt19937 rng(3);  // non-secret test data
    std::normal_distribution<float> g;
    std::vector<float> t(count * params.m);
    for (auto& x : t) x = g(rng);
    EnrollOptions options;
    options.insecure_seed = seed_0to31();
    const auto rc = cpu->enroll(t.data(), count, options);
    const auto rg = gpu->enroll(t.data(), count, options);
    ASSERT_EQ(rc.size(), rg.size());
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(rc[i].salt, rg[i].salt);
      EXPECT_EQ(rc[i].verifier, rg[i].verifier);
      ASSERT_EQ(rc[i].p.size(), rg[i].p.size());
      float worst = 0;
      const size_t elements = size_t(params.n) * params.n;
      for (size_t e = 0; e < elements; ++e) {
        float a, b;
        if (dtype == Dtype::F32) {
          std::memcpy(&a, rc[i].p.data() + 4 * e, 4);
          std::memcpy(&b, rg[i].p.data() + 4 * e, 4);
        } else {
          uint16_t ha, hb;
          std::memcpy(&ha, rc[i].p.data() + 2 * e, 2);
          std::memcpy(&hb, rg[i].p.data() + 2 * e, 2);
          a = detail::half_to_float(ha);
          b = detail::half_to_float(hb);
        }
        worst = std::max(worst, std::fabs(a - b));
      }
      // f16: values within 1e-4 may still round to neighbouring halves (spacing ≤ 2^-11 below 1).
      EXPECT_LT(worst, dtype == Dtype::F32 ? 1e-4f : 1e-3f) << "record " << i;
    }
    for (auto d : gpu->verify(t.data(), count, rc)) EXPECT_EQ(d, Decision::Accept);
    for (auto d : cpu->verify(t.data(), count, rg)) EXPECT_EQ(d, Decision::Accept);
    for (auto d : gpu->verify(t.data(), count, rg)) EXPECT_EQ(d, Decision::Accept);
    const auto ids = gpu->identify(t.data(), count, rc);
    ASSERT_EQ(ids.size(), count);
    for (size_t j = 0; j < count; ++j) EXPECT_EQ(ids[j], std::vector<uint32_t>{uint32_t(j)}) << "probe " << j;
  }
}

// Batches larger than one kernel launch and non-multiple-of-32 dimensions.
TEST(CudaBackend, OddSizesAndLargerBatches) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const Params params = testing::square_params(333, 20);
  auto gpu = make_engine(params, Backend::Cuda);
  const size_t count = 70;
  std::mt19937 rng(9);  // non-secret test data
  std::normal_distribution<float> g;
  std::vector<float> t(count * params.m), other(count * params.m);
  for (auto& x : t) x = g(rng);
  for (auto& x : other) x = g(rng);
  const auto records = gpu->enroll(t.data(), count);
  for (auto d : gpu->verify(t.data(), count, records)) EXPECT_EQ(d, Decision::Accept);
  for (auto d : gpu->verify(other.data(), count, records)) EXPECT_EQ(d, Decision::Reject);
  auto cpu = make_engine(params, Backend::Cpu);
  for (auto d : cpu->verify(t.data(), count, records)) EXPECT_EQ(d, Decision::Accept);
}

}  // namespace
}  // namespace spheremask
