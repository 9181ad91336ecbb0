// A C API test's handles (spheremask.h): parameters m = n = 128, α = 16 (98 bits, fast on the CPU), a
// two-thread CPU engine and an empty record set, freed after the test (the free functions accept NULL).
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "spheremask/spheremask.h"

namespace spheremask::testing {

// The template dimension of the fixture's parameters.
inline constexpr uint32_t kCApiM = 128;

class CApiFixture : public ::testing::Test {
 protected:
  sm_params* params = nullptr;
  sm_engine* engine = nullptr;
  sm_records* records = nullptr;

  void SetUp() override {
    ASSERT_EQ(sm_params_create(kCApiM, 0, 16, SM_DTYPE_F32, 0, nullptr, &params), SM_OK) << sm_last_error();
    ASSERT_EQ(sm_engine_create(params, SM_BACKEND_CPU, 2, 0, &engine), SM_OK) << sm_last_error();
    ASSERT_EQ(sm_records_create(&records), SM_OK);
  }
  void TearDown() override {
    sm_records_free(records);
    sm_engine_free(engine);
    sm_params_free(params);
  }

  // Record i of r in its serialized form.
  static std::vector<uint8_t> serialized(const sm_records* r, size_t i) {
    std::vector<uint8_t> out(sm_records_serialized_size(r, i));
    size_t written = 0;
    EXPECT_EQ(sm_records_serialize(r, i, out.data(), out.size(), &written), SM_OK) << sm_last_error();
    EXPECT_EQ(written, out.size());
    return out;
  }
};

}  // namespace spheremask::testing
