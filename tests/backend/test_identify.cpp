// 1:N identification on every backend: exactly the ids that 1:1 verification accepts, the same on the
// CPU, for f32, f16 and mixed galleries; f16 and f32 decisions agree where the margins are clear.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "support/backends.hpp"
#include "spheremask/error.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

constexpr uint32_t kDim = 128;  // C(128, 16) = 82.3 bits: a real code, small enough for fast tests

class IdentifyTest : public testing::BackendTest {};

Params params(Dtype dtype) { return testing::square_params(kDim, 16, dtype); }

// Probes at graded angles from gallery rows (clear accepts at 10-20°, borderline at 30-35°, rejects
// at 60°), a few exact duplicates of one template, and random impostors.
std::vector<float> graded_probes(const std::vector<float>& gallery, size_t g, size_t impostors, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> out;
  const double angles[] = {10, 20, 30, 33, 35, 60};
  for (size_t r = 0; r < g; ++r) {
    const auto p = testing::at_angle(gallery.data() + r * kDim, kDim, angles[r % 6], rng);
    out.insert(out.end(), p.begin(), p.end());
  }
  for (int k = 0; k < 2; ++k) out.insert(out.end(), gallery.begin(), gallery.begin() + kDim);
  const auto other = testing::random_unit_rows(impostors, kDim, seed + 1);
  out.insert(out.end(), other.begin(), other.end());
  return out;
}

// The 1:1 answer for every pair: accepted[probe] = record indices whose verify accepts the probe.
std::vector<std::vector<uint32_t>> by_verification(Engine& engine, const std::vector<float>& probes, size_t count,
                                                   const std::vector<Record>& gallery) {
  std::vector<float> tiled;
  std::vector<Record> records;
  for (size_t p = 0; p < count; ++p)
    for (size_t r = 0; r < gallery.size(); ++r) {
      tiled.insert(tiled.end(), probes.begin() + p * kDim, probes.begin() + (p + 1) * kDim);
      records.push_back(gallery[r]);
    }
  const auto d = engine.verify(tiled.data(), count * gallery.size(), records);
  std::vector<std::vector<uint32_t>> out(count);
  for (size_t p = 0; p < count; ++p)
    for (size_t r = 0; r < gallery.size(); ++r)
      if (d[p * gallery.size() + r] == Decision::Accept) out[p].push_back(uint32_t(r));
  return out;
}

void expect_identify_equals_verify(Backend backend, const std::vector<Dtype>& dtypes) {
  constexpr size_t kGallery = 24, kImpostors = 6;
  const auto templates = testing::random_unit_rows(kGallery, kDim, 21);
  std::vector<Record> gallery;
  for (size_t r = 0; r < kGallery; ++r) {  // record r stored in dtypes[r % size]
    auto e = make_engine(params(dtypes[r % dtypes.size()]), backend);
    auto rec = e->enroll(templates.data() + r * kDim, 1);
    gallery.push_back(std::move(rec[0]));
  }
  const auto probes = graded_probes(templates, kGallery, kImpostors, 3);
  const size_t count = probes.size() / kDim;
  auto engine = make_engine(params(Dtype::F32), backend);
  const auto expected = by_verification(*engine, probes, count, gallery);
  const auto got = engine->identify(probes.data(), count, gallery);
  ASSERT_EQ(got.size(), count);
  size_t accepted = 0;
  for (size_t p = 0; p < count; ++p) {
    EXPECT_EQ(got[p], expected[p]) << "probe " << p;
    accepted += expected[p].size();
  }
  EXPECT_GT(accepted, kGallery / 3);  // the comparison is not vacuous
  EXPECT_LT(accepted, count);
  if (backend != Backend::Cpu) {  // the CPU path returns exactly the same ids
    auto cpu = make_engine(params(Dtype::F32), Backend::Cpu);
    EXPECT_EQ(cpu->identify(probes.data(), count, gallery), got);
  }
}

TEST_P(IdentifyTest, EqualsOneToOneVerificationF32) { expect_identify_equals_verify(backend(), {Dtype::F32}); }
TEST_P(IdentifyTest, EqualsOneToOneVerificationF16) { expect_identify_equals_verify(backend(), {Dtype::F16}); }
TEST_P(IdentifyTest, EqualsOneToOneVerificationMixedGallery) {
  expect_identify_equals_verify(backend(), {Dtype::F16, Dtype::F32});
}

TEST_P(IdentifyTest, EmptyInputsAndOneProbeBlockBoundary) {
  auto engine = make_engine(params(Dtype::F16), backend());
  const auto t = testing::random_unit_rows(3, kDim, 8);
  const auto gallery = engine->enroll(t.data(), 3);
  EXPECT_TRUE(engine->identify(t.data(), 3, {}).at(0).empty());
  EXPECT_TRUE(engine->identify(t.data(), 0, gallery).empty());
  // 300 probes crosses the CPU's 256-probe block: probe i is template i mod 3.
  std::vector<float> many;
  for (size_t i = 0; i < 300; ++i) many.insert(many.end(), t.begin() + (i % 3) * kDim, t.begin() + (i % 3 + 1) * kDim);
  const auto got = engine->identify(many.data(), 300, gallery);
  for (size_t i = 0; i < 300; ++i) EXPECT_EQ(got[i], std::vector<uint32_t>{uint32_t(i % 3)}) << i;
}

TEST_P(IdentifyTest, TamperedRecordIsNeverAMatch) {
  auto engine = make_engine(params(Dtype::F32), backend());
  const auto t = testing::random_unit_rows(2, kDim, 9);
  auto gallery = engine->enroll(t.data(), 2);
  gallery[1].mac[0] ^= 1;
  const auto got = engine->identify(t.data(), 2, gallery);
  EXPECT_EQ(got[0], std::vector<uint32_t>{0});
  EXPECT_TRUE(got[1].empty());
}

// f16 storage of P perturbs y by ~1e-3 relative; with genuine probes at 20° and random impostors the
// decode margins are far larger, so every decision must agree with f32 (and be the expected one).
TEST_P(IdentifyTest, F16AndF32DecisionsAgreeWithClearMargins) {
  constexpr size_t kCount = 32;
  const auto templates = testing::random_unit_rows(kCount, kDim, 31);
  std::mt19937 rng(4);
  std::vector<float> genuine;
  for (size_t i = 0; i < kCount; ++i) {
    const auto p = testing::at_angle(templates.data() + i * kDim, kDim, 20.0, rng);
    genuine.insert(genuine.end(), p.begin(), p.end());
  }
  const auto impostors = testing::random_unit_rows(kCount, kDim, 32);
  EnrollOptions same_secrets;  // identical codewords and Q for both dtypes: only the storage differs
  same_secrets.insecure_seed = std::array<uint8_t, 32>{42};
  std::vector<std::vector<std::vector<uint32_t>>> ids;
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    auto engine = make_engine(params(d), backend());
    const auto gallery = engine->enroll(templates.data(), kCount, same_secrets);
    const auto g = engine->verify(genuine.data(), kCount, gallery);
    const auto i = engine->verify(impostors.data(), kCount, gallery);
    for (size_t k = 0; k < kCount; ++k) {
      EXPECT_EQ(g[k], Decision::Accept) << (d == Dtype::F16 ? "f16" : "f32") << " genuine " << k;
      EXPECT_EQ(i[k], Decision::Reject) << (d == Dtype::F16 ? "f16" : "f32") << " impostor " << k;
    }
    ids.push_back(engine->identify(genuine.data(), kCount, gallery));
  }
  EXPECT_EQ(ids[0], ids[1]);
  for (size_t k = 0; k < kCount; ++k) EXPECT_EQ(ids[0][k], std::vector<uint32_t>{uint32_t(k)});
}

INSTANTIATE_BACKENDS(IdentifyTest);

}  // namespace
}  // namespace spheremask
