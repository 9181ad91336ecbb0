// Multi-sample enrollment (normalized mean of k samples, outlier rejection) and multi-frame probes
// (mean of k frames, any-of-k) through the engine, on every backend.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "support/backends.hpp"
#include "spheremask/error.hpp"
#include "support/expect_error.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

class MultiSampleTest : public BackendTest {
 protected:
  std::unique_ptr<Engine> engine(uint32_t n = 128, uint32_t alpha = 16) {
    Params p;
    p.m = p.n = n;
    p.alpha = alpha;
    return make_engine(p, backend());
  }
  static EnrollOptions seeded(uint64_t first_index = 0) {
    EnrollOptions o;
    o.insecure_seed = golden_seed();
    o.first_index = first_index;
    return o;
  }
};

// k samples at `deg` degrees from unit center (independent directions), row-major.
std::vector<float> samples_around(const float* center, size_t n, size_t k, double deg, std::mt19937& rng) {
  std::vector<float> out;
  for (size_t i = 0; i < k; ++i) {
    const auto s = at_angle(center, n, deg, rng);
    out.insert(out.end(), s.begin(), s.end());
  }
  return out;
}

// The normalized mean written out independently: each row normalized as the engine does (double norm,
// float result), the unit rows summed in double, the sum scaled by 1/‖sum‖ and rounded to float.
std::vector<float> normalized_mean(const float* rows, size_t k, size_t n) {
  std::vector<double> sum(n, 0.0);
  for (size_t i = 0; i < k; ++i) {
    double s = 0;
    for (size_t j = 0; j < n; ++j) s += double(rows[i * n + j]) * rows[i * n + j];
    const double inv = 1.0 / std::sqrt(s);
    for (size_t j = 0; j < n; ++j) sum[j] += float(rows[i * n + j] * inv);
  }
  double s = 0;
  for (double x : sum) s += x * x;
  const double inv = 1.0 / std::sqrt(s);
  std::vector<float> out(n);
  for (size_t j = 0; j < n; ++j) out[j] = float(sum[j] * inv);
  return out;
}

TEST_P(MultiSampleTest, MeanEnrollmentEqualsEnrollingThePrecomputedNormalizedMean) {
  auto e = engine();
  std::mt19937 rng(14);
  const auto centers = random_unit_rows(2, 128, 141);
  // Group 0: 3 samples, group 1: 4 samples, not unit length (scaled) so normalization matters.
  auto rows = samples_around(centers.data(), 128, 3, 30.0, rng);
  const auto g1 = samples_around(centers.data() + 128, 128, 4, 30.0, rng);
  rows.insert(rows.end(), g1.begin(), g1.end());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] *= float(1 + i / 128);
  const std::vector<uint32_t> sizes = {3, 4};
  const auto got = e->enroll_groups(rows.data(), sizes, seeded(7));
  ASSERT_EQ(got.records.size(), 2u);
  EXPECT_EQ(got.records[0].samples, 3);
  EXPECT_EQ(got.records[1].samples, 4);
  EXPECT_TRUE(got.dropped[0].empty() && got.dropped[1].empty());

  auto means = normalized_mean(rows.data(), 3, 128);
  const auto m1 = normalized_mean(rows.data() + 3 * 128, 4, 128);
  means.insert(means.end(), m1.begin(), m1.end());
  // Group g uses index first_index + g; the sample counts sit in the MAC'd v2 header, so they are given too.
  const std::vector<uint16_t> counts = {3, 4};
  auto with_counts = seeded(7);
  with_counts.samples = counts;
  const auto want = e->enroll(means.data(), 2, with_counts);
  const auto single = e->enroll(means.data(), 2, seeded(7));
  for (size_t g = 0; g < 2; ++g) {
    EXPECT_EQ(single[g].samples, 1);
    EXPECT_EQ(single[g].p, want[g].p);
    EXPECT_NE(single[g].mac, want[g].mac) << "the sample count must be authenticated";
    EXPECT_EQ(got.records[g].p, want[g].p) << "group " << g;
    EXPECT_EQ(got.records[g].salt, want[g].salt);
    EXPECT_EQ(got.records[g].verifier, want[g].verifier);
    EXPECT_EQ(got.records[g].mac, want[g].mac);
  }
  // The mean is closer to the person than its samples are: a probe of group 0 at 30° from the center
  // lies at ~30° from it.
  EXPECT_LT(angle_deg(means.data(), centers.data(), 128), 20.0);
}

TEST_P(MultiSampleTest, SingleSampleGroupsReproduceEnrollBitForBit) {
  auto e = engine();
  auto rows = random_unit_rows(4, 128, 142);
  for (auto& x : rows) x *= 3.0f;  // not unit: a group of one must not be renormalized twice
  const std::vector<uint32_t> ones = {1, 1, 1, 1};
  const auto got = e->enroll_groups(rows.data(), ones, seeded(11));
  const auto want = e->enroll(rows.data(), 4, seeded(11));
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(got.records[i].serialize(), want[i].serialize()) << "row " << i;
    EXPECT_EQ(got.records[i].samples, 1);
  }
}

TEST_P(MultiSampleTest, OutlierRejectionDropsAPlantedOutlierAndReportsIt) {
  auto e = engine();
  std::mt19937 rng(15);
  const auto center = random_unit_rows(1, 128, 143);
  // Group 0: one row alone; group 1: 5 samples at 25° with a stranger planted at position 2 (row 3).
  auto rows = random_unit_rows(1, 128, 144);
  auto group = samples_around(center.data(), 128, 5, 25.0, rng);
  const auto stranger = random_unit_rows(1, 128, 145);  // ~90° from everyone
  std::copy(stranger.begin(), stranger.end(), group.begin() + 2 * 128);
  rows.insert(rows.end(), group.begin(), group.end());
  const std::vector<uint32_t> sizes = {1, 5};
  CombineOptions reject;
  reject.outlier_deg = 50.0;
  const auto got = e->enroll_groups(rows.data(), sizes, seeded(), reject);
  EXPECT_TRUE(got.dropped[0].empty());
  EXPECT_EQ(got.dropped[1], std::vector<size_t>{3});
  EXPECT_EQ(got.records[1].samples, 4);
  // The record is the mean of the four kept samples.
  std::vector<float> kept;
  for (size_t i : {0, 1, 3, 4}) kept.insert(kept.end(), group.begin() + i * 128, group.begin() + (i + 1) * 128);
  const auto mean = normalized_mean(kept.data(), 4, 128);
  const auto want = e->enroll(mean.data(), 1, seeded(1));
  EXPECT_EQ(got.records[1].p, want[0].p);
  EXPECT_EQ(got.records[1].verifier, want[0].verifier);

  // Without rejection the stranger is averaged in, and nothing is reported.
  const auto plain = e->enroll_groups(rows.data(), sizes, seeded());
  EXPECT_EQ(plain.records[1].samples, 5);
  EXPECT_TRUE(plain.dropped[1].empty());
  EXPECT_NE(plain.records[1].p, got.records[1].p);
}

TEST(MultiSampleCombine, OutlierRejectionKeepsPairsAndRefusesAGroupWithNoAgreement) {
  // Two samples far apart: neither can be called the outlier, both are kept.
  const auto two = random_unit_rows(2, 64, 146);
  CombineOptions reject;
  reject.outlier_deg = 30.0;
  const std::vector<uint32_t> pair = {2};
  const auto c = combine_groups(two.data(), 64, pair, reject);
  EXPECT_EQ(c.used[0], 2);
  EXPECT_TRUE(c.dropped[0].empty());
  // Three mutually ~90° samples: each is far from the mean of the others; nothing to keep.
  const auto three = random_unit_rows(4, 64, 147);
  const std::vector<uint32_t> sizes = {1, 3};
  EXPECT_ERROR_CODE(combine_groups(three.data(), 64, sizes, reject), ErrorCode::InvalidArgument, "group 1");
}

// Expects Error{InvalidArgument} whose message contains `names`.
template <typename F>
void expect_invalid(F&& f, const std::string& names) {
  EXPECT_ERROR_CODE(f(), ErrorCode::InvalidArgument, names);
}

TEST_P(MultiSampleTest, BadGroupsAreErrorsNamingTheGroupOrRow) {
  auto e = engine();
  auto rows = random_unit_rows(5, 128, 148);
  const std::vector<uint32_t> with_empty = {2, 0, 3};
  expect_invalid([&] { e->enroll_groups(rows.data(), with_empty); }, "group 1 has no samples (k = 0)");
  const std::vector<uint32_t> sizes = {2, 3};
  auto nan_row = rows;
  nan_row[3 * 128 + 7] = std::numeric_limits<float>::quiet_NaN();
  expect_invalid([&] { e->enroll_groups(nan_row.data(), sizes); }, "template row 3");
  auto zero_row = rows;
  std::fill(zero_row.begin() + 4 * 128, zero_row.begin() + 5 * 128, 0.0f);
  expect_invalid([&] { e->enroll_groups(zero_row.data(), sizes); }, "template row 4 is the zero vector");
  for (double bad : {0.0, -5.0, 181.0, std::numeric_limits<double>::quiet_NaN()}) {
    CombineOptions o;
    o.outlier_deg = bad;
    expect_invalid([&] { e->enroll_groups(rows.data(), sizes, {}, o); }, "outlier angle");
  }
  const std::vector<uint32_t> too_many = {70000};
  expect_invalid([&] { combine_groups(rows.data(), 128, too_many); }, "at most 65535");
}

// Record v2 carries the sample count in its header; v1 (until v2 lands) does not keep it.
TEST_P(MultiSampleTest, SampleCountSurvivesSerialization) {
  auto e = engine();
  const auto rows = random_unit_rows(3, 128, 149);
  const std::vector<uint32_t> sizes = {3};
  const auto got = e->enroll_groups(rows.data(), sizes, seeded());
  ASSERT_EQ(got.records[0].samples, 3);
  const auto bytes = got.records[0].serialize();
  EXPECT_EQ(Record::parse(bytes).samples, 3);
}

// Single frames at 60° are rejected by 512/16 (p ≈ 5e-6 each, DESIGN §1), but the mean of 8 frames
// with independent directions lies at atan(tan 60° / √8) ≈ 31.5° from the person: accepted (p > 0.999).
TEST_P(MultiSampleTest, MeanOfFramesAcceptsWhereSingleNoisyFramesFail) {
  auto e = engine(512, 16);
  const size_t people = 6, k = 8;
  const auto t = random_unit_rows(people, 512, 150);
  const auto records = e->enroll(t.data(), people, seeded());
  std::mt19937 rng(151);
  std::vector<float> frames;
  for (size_t p = 0; p < people; ++p) {
    const auto f = samples_around(t.data() + p * 512, 512, k, 60.0, rng);
    frames.insert(frames.end(), f.begin(), f.end());
  }
  std::vector<Record> each_frame;  // frame r against its person's record, one frame at a time
  for (size_t r = 0; r < people * k; ++r) each_frame.push_back(records[r / k]);
  size_t single_accepts = 0;
  for (auto d : e->verify(frames.data(), people * k, each_frame)) single_accepts += d == Decision::Accept;
  EXPECT_LE(single_accepts, 1u);

  FrameOptions mean;
  mean.per_probe = uint32_t(k);
  const auto d = e->verify_frames(frames.data(), people * k, records, mean);
  EXPECT_EQ(d, std::vector<Decision>(people, Decision::Accept));
  // Any-of-8 of frames that each fail stays a reject: it does not average.
  FrameOptions any = mean;
  any.rule = FrameRule::AnyOf;
  size_t any_accepts = 0;
  for (auto x : e->verify_frames(frames.data(), people * k, records, any)) any_accepts += x == Decision::Accept;
  EXPECT_LE(any_accepts, 1u);
  // Impostors: the mean of another person's frames is rejected.
  std::vector<Record> shifted(records.begin() + 1, records.end());
  shifted.push_back(records[0]);
  EXPECT_EQ(e->verify_frames(frames.data(), people * k, shifted, mean), std::vector<Decision>(people, Decision::Reject));
  // identify with the mean: each probe finds exactly its own record.
  const auto hits = e->identify_frames(frames.data(), people * k, records, mean);
  for (size_t p = 0; p < people; ++p) EXPECT_EQ(hits[p], std::vector<uint32_t>{uint32_t(p)}) << "probe " << p;
  // One frame per probe is plain verification.
  FrameOptions one;
  EXPECT_EQ(e->verify_frames(t.data(), people, records, one), std::vector<Decision>(people, Decision::Accept));
}

TEST_P(MultiSampleTest, AnyOfFramesAcceptsWhenOneFrameMatchesAndReleasesItsKey) {
  auto e = engine();
  const auto t = random_unit_rows(3, 128, 152);
  auto records = e->enroll(t.data(), 3, seeded());
  // Probe 0: frames {stranger, genuine}; probe 1: {stranger, stranger}; probe 2: {genuine, stranger}.
  const auto strangers = random_unit_rows(4, 128, 153);
  std::vector<float> frames;
  auto push = [&](const float* row) { frames.insert(frames.end(), row, row + 128); };
  push(strangers.data());
  push(t.data());
  push(strangers.data() + 128);
  push(strangers.data() + 256);
  push(t.data() + 256);
  push(strangers.data() + 384);
  FrameOptions any;
  any.per_probe = 2;
  any.rule = FrameRule::AnyOf;
  const auto keyed = e->verify_and_derive_frames(frames.data(), 6, records, "ctx", any);
  ASSERT_EQ(keyed.size(), 3u);
  EXPECT_EQ(keyed[0].decision, Decision::Accept);
  EXPECT_EQ(keyed[1].decision, Decision::Reject);
  EXPECT_EQ(keyed[2].decision, Decision::Accept);
  const auto direct = e->verify_and_derive(t.data(), 3, records, "ctx");
  EXPECT_EQ(keyed[0].key.bytes(), direct[0].key.bytes());
  EXPECT_EQ(keyed[2].key.bytes(), direct[2].key.bytes());
  EXPECT_EQ(keyed[1].key.bytes(), (std::array<uint8_t, 32>{}));
  // identify: the union of what the frames match. Probe 0 = {genuine 0, genuine 2}.
  std::vector<float> two(t.data(), t.data() + 128);
  two.insert(two.end(), t.data() + 256, t.data() + 384);
  const auto hits = e->identify_frames(two.data(), 2, records, any);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0], (std::vector<uint32_t>{0, 2}));
  auto gallery = e->load_gallery(records);
  EXPECT_EQ(e->identify_frames(two.data(), 2, *gallery, any), hits);
  // A frame that matches a forged record makes the claim Tampered, even next to a non-matching frame.
  records[2].mac[0] ^= 1;
  EXPECT_EQ(e->verify_frames(frames.data(), 6, records, any)[2], Decision::Tampered);
}

TEST_P(MultiSampleTest, FramesMustDivideTheProbeRows) {
  auto e = engine();
  const auto t = random_unit_rows(6, 128, 154);
  const auto records = e->enroll(t.data(), 2, seeded());
  FrameOptions four;
  four.per_probe = 4;
  expect_invalid([&] { e->verify_frames(t.data(), 6, records, four); }, "6 probe rows are not a multiple of 4");
  expect_invalid([&] { e->identify_frames(t.data(), 6, records, four); }, "not a multiple of 4");
  FrameOptions zero;
  zero.per_probe = 0;
  expect_invalid([&] { e->verify_frames(t.data(), 6, records, zero); }, "k = 0");
  FrameOptions three;
  three.per_probe = 3;  // 2 probes of 3 frames against 2 records: fine; against 1 record: an error
  EXPECT_EQ(e->verify_frames(t.data(), 6, records, three).size(), 2u);
  expect_invalid([&] { e->verify_frames(t.data(), 6, std::span(records).first(1), three); }, "2 probes of 3 frames");
  auto nan = t;
  nan[5 * 128] = std::numeric_limits<float>::infinity();
  expect_invalid([&] { e->verify_frames(nan.data(), 6, records, three); }, "template row 5");
}

INSTANTIATE_BACKENDS(MultiSampleTest);

}  // namespace
}  // namespace spheremask
