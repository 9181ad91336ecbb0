// The C API's multi-sample enrollment and multi-frame probes on the CPU backend: records per group,
// dropped-row flags, frame rules, and every bad input as a status code with a message.
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

constexpr uint32_t kM = spheremask::testing::kCApiM;

struct CApiMultiSample : spheremask::testing::CApiFixture {};

// Two persons: 1 sample, then 4 samples at 20° with a stranger at group position 1 (row 2).
std::vector<float> two_persons(std::vector<float>& centers) {
  centers = random_unit_rows(2, kM, 61);
  std::mt19937 rng(62);
  std::vector<float> rows(centers.begin(), centers.begin() + kM);
  for (int i = 0; i < 4; ++i) {
    const auto s = i == 1 ? random_unit_rows(1, kM, 63) : at_angle(centers.data() + kM, kM, 20.0, rng);
    rows.insert(rows.end(), s.begin(), s.end());
  }
  return rows;
}

TEST_F(CApiMultiSample, EnrollCombinedMakesOneRecordPerGroupAndFlagsTheDroppedRow) {
  std::vector<float> centers;
  const auto rows = two_persons(centers);
  const uint32_t sizes[] = {1, 4};
  std::vector<uint8_t> dropped(5, 7);
  ASSERT_EQ(sm_enroll_combined(engine, rows.data(), sizes, 2, 60.0, records, dropped.data()), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_records_count(records), 2u);
  EXPECT_EQ(dropped, (std::vector<uint8_t>{0, 0, 1, 0, 0}));
  EXPECT_EQ(sm_records_samples(records, 0), 1u);
  EXPECT_EQ(sm_records_samples(records, 1), 3u);
  EXPECT_EQ(sm_records_samples(records, 2), 0u);
  uint8_t d[2] = {9, 9};
  ASSERT_EQ(sm_verify(engine, centers.data(), 2, records, d), SM_OK) << sm_last_error();
  EXPECT_EQ(d[0], SM_ACCEPT);
  EXPECT_EQ(d[1], SM_ACCEPT);
  // Without rejection: every sample used, no flag needed.
  ASSERT_EQ(sm_enroll_combined(engine, rows.data(), sizes, 2, 0.0, records, nullptr), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_records_samples(records, 3), 4u);
}

TEST_F(CApiMultiSample, BadEnrollInputsAreStatusCodesAndAppendNothing) {
  std::vector<float> centers;
  auto rows = two_persons(centers);
  const uint32_t sizes[] = {1, 4};
  const uint32_t empty_group[] = {1, 0, 4};
  EXPECT_EQ(sm_enroll_combined(engine, rows.data(), empty_group, 3, 0.0, records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("group 1 has no samples"), std::string::npos) << sm_last_error();
  EXPECT_EQ(sm_enroll_combined(engine, rows.data(), sizes, 2, std::nan(""), records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_enroll_combined(engine, rows.data(), sizes, 2, 190.0, records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_enroll_combined(engine, rows.data(), nullptr, 2, 0.0, records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("group_sizes"), std::string::npos);
  EXPECT_EQ(sm_enroll_combined(engine, nullptr, sizes, 2, 0.0, records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_enroll_combined(nullptr, rows.data(), sizes, 2, 0.0, records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_enroll_combined(engine, rows.data(), sizes, 2, 0.0, nullptr, nullptr), SM_ERR_INVALID_ARGUMENT);
  rows[3 * kM] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(sm_enroll_combined(engine, rows.data(), sizes, 2, 0.0, records, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("template row 3"), std::string::npos) << sm_last_error();
  EXPECT_EQ(sm_records_count(records), 0u);
}

TEST_F(CApiMultiSample, FramesMeanAnyOfAndBadFrameCounts) {
  const auto t = random_unit_rows(2, kM, 64);
  ASSERT_EQ(sm_enroll(engine, t.data(), 2, records), SM_OK) << sm_last_error();
  const auto stranger = random_unit_rows(3, kM, 65);
  // Probe 0 = {stranger, genuine 0}; probe 1 = {stranger, stranger}.
  std::vector<float> frames(stranger.begin(), stranger.begin() + kM);
  frames.insert(frames.end(), t.begin(), t.begin() + kM);
  frames.insert(frames.end(), stranger.begin() + kM, stranger.end());
  uint8_t d[2] = {9, 9};
  ASSERT_EQ(sm_verify_frames(engine, frames.data(), 4, 2, SM_FRAMES_ANY_OF, records, d), SM_OK) << sm_last_error();
  EXPECT_EQ(d[0], SM_ACCEPT);
  EXPECT_EQ(d[1], SM_REJECT);
  uint8_t keys[2 * SM_KEY_BYTES];
  ASSERT_EQ(sm_verify_and_derive_frames(engine, frames.data(), 4, 2, SM_FRAMES_ANY_OF, records, "c", 1, d, keys),
            SM_OK) << sm_last_error();
  uint8_t direct_d[2], direct_key[2 * SM_KEY_BYTES];
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), 2, records, "c", 1, direct_d, direct_key), SM_OK) << sm_last_error();
  EXPECT_EQ(std::memcmp(keys, direct_key, SM_KEY_BYTES), 0);
  EXPECT_EQ(std::vector<uint8_t>(keys + SM_KEY_BYTES, keys + 2 * SM_KEY_BYTES), std::vector<uint8_t>(SM_KEY_BYTES, 0));
  sm_wipe(keys, sizeof keys);
  sm_wipe(direct_key, sizeof direct_key);
  // The mean of two copies of each template is the template: both probes accept their record.
  std::vector<float> doubled;
  for (int p = 0; p < 2; ++p)
    for (int f = 0; f < 2; ++f) doubled.insert(doubled.end(), t.begin() + p * kM, t.begin() + (p + 1) * kM);
  ASSERT_EQ(sm_verify_frames(engine, doubled.data(), 4, 2, SM_FRAMES_MEAN, records, d), SM_OK) << sm_last_error();
  EXPECT_EQ(d[0], SM_ACCEPT);
  EXPECT_EQ(d[1], SM_ACCEPT);
  sm_matches* m = nullptr;
  ASSERT_EQ(sm_identify_frames(engine, doubled.data(), 4, 2, SM_FRAMES_MEAN, records, &m), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_matches_probe_count(m), 2u);
  EXPECT_EQ(sm_matches_offsets(m)[2], 2u);
  EXPECT_EQ(sm_matches_indices(m)[0], 0u);
  EXPECT_EQ(sm_matches_indices(m)[1], 1u);
  sm_matches_free(m);

  EXPECT_EQ(sm_verify_frames(engine, frames.data(), 4, 3, SM_FRAMES_MEAN, records, d), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("not a multiple of frames_per_probe 3"), std::string::npos);
  EXPECT_EQ(sm_verify_frames(engine, frames.data(), 4, 0, SM_FRAMES_MEAN, records, d), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_verify_frames(engine, frames.data(), 4, 2, sm_frame_rule(7), records, d), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("frame rule"), std::string::npos);
  EXPECT_EQ(sm_verify_frames(engine, frames.data(), 4, 4, SM_FRAMES_MEAN, records, d), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_identify_frames(engine, frames.data(), 4, 3, SM_FRAMES_MEAN, records, &m), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(m, nullptr);
}

}  // namespace
