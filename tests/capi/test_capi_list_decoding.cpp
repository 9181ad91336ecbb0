// sm_params_set_list_decoding (spheremask.h): an engine made with it accepts probes within the angle that
// the plain engine rejects, releases the enrolled key, identifies them; out-of-range values, null params
// and the CUDA backend are SM_ERR_INVALID_ARGUMENT with a message naming the cause.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "spheremask/spheremask.h"
#include "support/capi_fixture.hpp"
#include "support/test_util.hpp"

namespace {

using spheremask::testing::at_angle;
using spheremask::testing::random_unit_rows;

constexpr uint32_t kM = spheremask::testing::kCApiM;  // n = 128, α = 16 (98 bits)
constexpr size_t kCount = 8;

bool has(const std::string& message, const char* part) { return message.find(part) != std::string::npos; }

struct CApiListDecoding : spheremask::testing::CApiFixture {
  sm_engine* listed = nullptr;
  std::vector<float> t;

  void SetUp() override {
    CApiFixture::SetUp();  // `engine` (plain) is made from `params` before list decoding is set on them
    if (HasFatalFailure()) return;
    ASSERT_EQ(sm_params_set_list_decoding(params, 38.0, 1u << 17), SM_OK) << sm_last_error();
    ASSERT_EQ(sm_engine_create(params, SM_BACKEND_AUTO, 2, 0, &listed), SM_OK) << sm_last_error();
    t = random_unit_rows(kCount, kM, 38);
    const uint8_t seed[32] = {7};
    ASSERT_EQ(sm_enroll_insecure_deterministic(engine, t.data(), kCount, seed, 0, records), SM_OK) << sm_last_error();
  }
  void TearDown() override {
    sm_engine_free(listed);
    CApiFixture::TearDown();
  }

  // Probe i at exactly `deg` from template i.
  std::vector<float> probes_at(double deg, uint32_t seed) const {
    std::mt19937 rng(seed);
    std::vector<float> out;
    for (size_t i = 0; i < kCount; ++i) {
      const auto p = at_angle(t.data() + i * kM, kM, deg, rng);
      out.insert(out.end(), p.begin(), p.end());
    }
    return out;
  }

  std::vector<uint8_t> decide(sm_engine* e, const std::vector<float>& probes) const {
    std::vector<uint8_t> d(kCount, 255);
    EXPECT_EQ(sm_verify(e, probes.data(), kCount, records, d.data()), SM_OK) << sm_last_error();
    return d;
  }
};

TEST_F(CApiListDecoding, AcceptsWithinTheAngleWhatThePlainEngineRejects) {
  EXPECT_EQ(sm_engine_backend(listed), SM_BACKEND_CPU);  // AUTO picks the CPU for list decoding
  const auto probes = probes_at(37.0, 5);
  const auto plain = decide(engine, probes);
  const auto list = decide(listed, probes);
  size_t plain_accepts = 0;
  for (size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(list[i], SM_ACCEPT) << "probe " << i << " at 37°";
    EXPECT_NE(plain[i], SM_TAMPERED);
    plain_accepts += plain[i] == SM_ACCEPT;
  }
  // The plain decoder takes about 5% of the probes at 37° (tests/decode/test_list_decode.cpp).
  EXPECT_LT(plain_accepts, kCount / 2) << "the plain engine should reject most probes at 37°";

  // The key released at 37° is the one the genuine templates release.
  std::vector<uint8_t> d_list(kCount), d_genuine(kCount);
  std::vector<uint8_t> k_list(kCount * SM_KEY_BYTES), k_genuine(kCount * SM_KEY_BYTES);
  ASSERT_EQ(sm_verify_and_derive(listed, probes.data(), kCount, records, "ctx", 3, d_list.data(), k_list.data()), SM_OK)
      << sm_last_error();
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), kCount, records, "ctx", 3, d_genuine.data(), k_genuine.data()),
            SM_OK)
      << sm_last_error();
  EXPECT_EQ(d_list, std::vector<uint8_t>(kCount, SM_ACCEPT));
  EXPECT_EQ(d_genuine, std::vector<uint8_t>(kCount, SM_ACCEPT));
  EXPECT_TRUE(k_list == k_genuine) << "list decoding released another key";
  sm_wipe(k_list.data(), k_list.size());
  sm_wipe(k_genuine.data(), k_genuine.size());

  // Identification finds each probe's own record (and, for these random templates, no other).
  sm_matches* matches = nullptr;
  ASSERT_EQ(sm_identify(listed, probes.data(), kCount, records, &matches), SM_OK) << sm_last_error();
  const size_t* offsets = sm_matches_offsets(matches);
  const uint32_t* indices = sm_matches_indices(matches);
  for (size_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(offsets[i + 1] - offsets[i], 1u) << "probe " << i;
    EXPECT_EQ(indices[offsets[i]], i);
  }
  sm_matches_free(matches);
}

TEST_F(CApiListDecoding, ZeroDegreesTurnsItOff) {
  ASSERT_EQ(sm_params_set_list_decoding(params, 0.0, 4096), SM_OK) << sm_last_error();
  sm_engine* off = nullptr;
  ASSERT_EQ(sm_engine_create(params, SM_BACKEND_CPU, 2, 0, &off), SM_OK) << sm_last_error();
  const auto probes = probes_at(37.0, 5);
  EXPECT_EQ(decide(off, probes), decide(engine, probes));
  EXPECT_NE(decide(off, probes), decide(listed, probes));  // the list engine accepts all; the plain one does not
  sm_engine_free(off);
}

TEST(CApiListDecodingOptions, OutOfRangeValuesAreInvalidArguments) {
  sm_params* p = nullptr;
  ASSERT_EQ(sm_params_create(kM, 0, 16, SM_DTYPE_F32, 1, nullptr, &p), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_params_set_list_decoding(p, 80.0, 1u << 20), SM_OK) << sm_last_error();  // both limits included
  EXPECT_EQ(sm_params_set_list_decoding(p, 0.0, 1), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_params_set_list_decoding(p, 38.0, 1u << 17), SM_OK) << sm_last_error();
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (double angle : {-1.0, -0.0001, 80.0001, 90.0, nan, inf, -inf}) {
    EXPECT_EQ(sm_params_set_list_decoding(p, angle, 4096), SM_ERR_INVALID_ARGUMENT) << angle;
    EXPECT_TRUE(has(sm_last_error(), "max_angle_deg")) << sm_last_error();
  }
  for (uint32_t max : {0u, (1u << 20) + 1, UINT32_MAX}) {
    EXPECT_EQ(sm_params_set_list_decoding(p, 38.0, max), SM_ERR_INVALID_ARGUMENT) << max;
    EXPECT_TRUE(has(sm_last_error(), "max_candidates")) << sm_last_error();
  }
  EXPECT_EQ(sm_params_set_list_decoding(nullptr, 38.0, 4096), SM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(has(sm_last_error(), "params is null")) << sm_last_error();

  // The refused values left the last accepted setting (38°) in place: a CUDA engine is refused for it.
  sm_engine* e = reinterpret_cast<sm_engine*>(1);
  EXPECT_EQ(sm_engine_create(p, SM_BACKEND_CUDA, 1, 0, &e), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(e, nullptr);
  EXPECT_TRUE(has(sm_last_error(), "CPU backend only")) << sm_last_error();
  sm_params_free(p);
}

// The CUDA refusal comes before the backend is made, so it reads the same with or without CUDA; without a
// device, the same params without list decoding fail for the missing device instead.
TEST(CApiListDecodingOptions, CudaBackendIsRefused) {
  sm_params* p = nullptr;
  ASSERT_EQ(sm_params_create(kM, 0, 16, SM_DTYPE_F32, 1, nullptr, &p), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_params_set_list_decoding(p, 30.0, 4096), SM_OK) << sm_last_error();
  sm_engine* e = nullptr;
  EXPECT_EQ(sm_engine_create(p, SM_BACKEND_CUDA, 1, 0, &e), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(e, nullptr);
  EXPECT_TRUE(has(sm_last_error(), "list_decoding")) << sm_last_error();
  ASSERT_EQ(sm_params_set_list_decoding(p, 0.0, 4096), SM_OK) << sm_last_error();
  const sm_status plain = sm_engine_create(p, SM_BACKEND_CUDA, 1, 0, &e);
  if (sm_cuda_device_count() == 0) {
    EXPECT_EQ(plain, SM_ERR_UNAVAILABLE) << sm_last_error();
  } else {
    EXPECT_EQ(plain, SM_OK) << sm_last_error();
    EXPECT_EQ(sm_engine_backend(e), SM_BACKEND_CUDA);
  }
  sm_engine_free(e);
  sm_params_free(p);
}

}  // namespace
