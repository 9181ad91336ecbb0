// Device-resident galleries. CPU tests: the placement arithmetic (what stays resident,
// what is streamed, identification tiles). Cuda tests: a gallery loaded once on the GPU identifies
// exactly the ids the CPU does and verifies exactly as per-call verification, for f32 and f16, also
// when a small memory cap (EngineOptions::gallery_cap_bytes) forces most of it to be streamed.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <vector>

#include "cuda/gallery/gallery_plan.hpp"
#include "cuda/core/launch_shapes.hpp"
#include "cuda/gallery/resident_gallery.hpp"
#include "backend/backend_impl.hpp"
#include "support/backends.hpp"
#include "support/expect_error.hpp"
#include "spheremask/error.hpp"
#include "support/record_setup.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using cuda::plan_gallery;

TEST(GalleryPlan, AllResidentWhenItFits) {
  const auto p = plan_gallery(10, 1000, 10000);
  EXPECT_EQ(p.resident, 10u);
  EXPECT_EQ(p.stream_chunk, 0u);
  EXPECT_EQ(plan_gallery(0, 1000, 0).resident, 0u);
}

TEST(GalleryPlan, StreamsTheRestThroughAQuarterOfTheBudget) {
  const auto p = plan_gallery(100, 1000, 40000);  // 40 fit: 10 for streaming, 30 resident
  EXPECT_EQ(p.resident, 30u);
  EXPECT_EQ(p.stream_chunk, 10u);
  const auto tiny = plan_gallery(100, 1000, 2500);  // 2 fit: 1 streaming slot, 1 resident
  EXPECT_EQ(tiny.resident, 1u);
  EXPECT_EQ(tiny.stream_chunk, 1u);
  const auto one = plan_gallery(100, 1000, 1000);  // 1 fits: everything streamed one at a time
  EXPECT_EQ(one.resident, 0u);
  EXPECT_EQ(one.stream_chunk, 1u);
  const auto none = plan_gallery(100, 1000, 999);
  EXPECT_EQ(none.resident + none.stream_chunk, 0u);
  for (size_t budget = 1000; budget < 200000; budget += 777) {  // never over budget, never idle
    const auto q = plan_gallery(100, 1000, budget);
    EXPECT_LE((q.resident + q.stream_chunk) * 1000, budget) << budget;
    EXPECT_GE(q.stream_chunk, q.resident < 100 ? 1u : 0u) << budget;
    EXPECT_LE(q.resident + q.stream_chunk, 100u) << budget;
  }
}

TEST(GalleryPlan, BudgetIsTheUsableMemoryUnderTheCap) {
  EXPECT_EQ(cuda::gallery_budget_bytes(size_t(5) << 30, 0), size_t(5) << 30);  // 0 = no cap
  EXPECT_EQ(cuda::gallery_budget_bytes(size_t(5) << 30, size_t(3) << 20), size_t(3) << 20);
  EXPECT_EQ(cuda::gallery_budget_bytes(1000, size_t(3) << 20), 1000u);  // a cap never adds memory
  EXPECT_EQ(cuda::gallery_budget_bytes(0, 1), 0u);
}

TEST(GalleryPlan, IdentifyTilesFitTheWorkBudget) {
  // n = 512, 512 probes per block, f16: Y 1 MiB + f32 P 1 MiB per record.
  EXPECT_EQ(cuda::identify_tile_records(1000, 512, 512, true, size_t(256) << 20), 128u);
  EXPECT_EQ(cuda::identify_tile_records(1000, 512, 512, false, size_t(256) << 20), 256u);
  EXPECT_EQ(cuda::identify_tile_records(7, 512, 512, false, size_t(256) << 20), 7u);
  EXPECT_EQ(cuda::identify_tile_records(10, 8192, 8192, true, size_t(256) << 20), 1u);  // at least one
  EXPECT_LE(cuda::identify_tile_records(1u << 30, 2, 1u << 20, false, SIZE_MAX) * (1u << 20), 0x7fffffffu);
}

// --- on the GPU ---

constexpr uint32_t kDim = 128;

Params params(Dtype dtype) { return testing::square_params(kDim, 16, dtype); }

struct Fixture {
  std::vector<Record> records;
  std::vector<float> probes;  // genuine at 10-35°, impostors, duplicates
  size_t probe_count = 0;
};

Fixture make_fixture(Dtype dtype, size_t gallery) {
  Fixture f;
  auto engine = make_engine(params(dtype), Backend::Cuda);
  const auto templates = testing::random_unit_rows(gallery, kDim, 41);
  EnrollOptions options;
  options.insecure_seed = std::array<uint8_t, 32>{5};
  f.records = engine->enroll(templates.data(), gallery, options);
  std::mt19937 rng(6);
  const double angles[] = {10, 20, 30, 35, 60};
  for (size_t r = 0; r < gallery; ++r) {
    const auto p = testing::at_angle(templates.data() + r * kDim, kDim, angles[r % 5], rng);
    f.probes.insert(f.probes.end(), p.begin(), p.end());
  }
  const auto other = testing::random_unit_rows(7, kDim, 42);
  f.probes.insert(f.probes.end(), other.begin(), other.end());
  f.probes.insert(f.probes.end(), templates.begin(), templates.begin() + kDim);
  f.probe_count = f.probes.size() / kDim;
  return f;
}

// identify(Gallery) == CPU identify; verify(Gallery, index) == per-call verify for a shuffled index
// with repeats (probe i against record index[i]). gpu_options: the GPU engine's (a gallery cap).
void expect_resident_matches(Dtype dtype, size_t gallery, const EngineOptions& gpu_options = {}) {
  const Fixture f = make_fixture(dtype, gallery);
  auto cpu = make_engine(params(dtype), Backend::Cpu);
  auto gpu = make_engine(params(dtype), Backend::Cuda, gpu_options);
  const auto expected = cpu->identify(f.probes.data(), f.probe_count, f.records);
  const auto loaded = gpu->load_gallery(f.records);
  const auto got = gpu->identify(f.probes.data(), f.probe_count, *loaded);
  ASSERT_EQ(got.size(), expected.size());
  size_t accepted = 0;
  for (size_t p = 0; p < got.size(); ++p) {
    EXPECT_EQ(got[p], expected[p]) << "probe " << p;
    accepted += expected[p].size();
  }
  EXPECT_GT(accepted, gallery / 3);  // not vacuous
  EXPECT_EQ(gpu->identify(f.probes.data(), f.probe_count, *loaded), got);  // a second pass, same answer

  std::vector<uint32_t> index(f.probe_count);
  std::mt19937 rng(8);
  for (auto& i : index) i = uint32_t(rng() % gallery);
  for (size_t p = 0; p < gallery; p += 3) index[p] = uint32_t(p);  // genuine pairs among them
  std::vector<Record> paired;
  for (uint32_t i : index) paired.push_back(f.records[i]);
  const auto per_call = gpu->verify(f.probes.data(), f.probe_count, paired);
  const auto resident = gpu->verify(f.probes.data(), f.probe_count, *loaded, index);
  EXPECT_EQ(resident, per_call);
  EXPECT_EQ(cpu->verify(f.probes.data(), f.probe_count, paired), per_call);
  EXPECT_GT(std::count(resident.begin(), resident.end(), Decision::Accept), 0);
}

TEST(CudaResidentGallery, IdentifyAndVerifyMatchCpuF32) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  expect_resident_matches(Dtype::F32, 30);
}

TEST(CudaResidentGallery, IdentifyAndVerifyMatchCpuF16) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  expect_resident_matches(Dtype::F16, 30);
}

// A 1 MiB cap: 16 f32 (32 f16) matrices of n = 128 fit, so most of a 50-record gallery is streamed in
// several chunks on every call.
TEST(CudaResidentGallery, StreamsWhatDoesNotFitUnderACap) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  EngineOptions capped;
  capped.gallery_cap_bytes = size_t(1) << 20;
  constexpr size_t kGallery = 50;
  for (Dtype dtype : {Dtype::F32, Dtype::F16}) {
    const size_t p_bytes = size_t(kDim) * kDim * dtype_size(dtype);
    const auto plan = plan_gallery(kGallery, p_bytes, size_t(1) << 20);
    ASSERT_LT(plan.resident, kGallery);
    ASSERT_LT(plan.stream_chunk, kGallery - plan.resident);  // at least two streamed chunks
    const Fixture f = make_fixture(dtype, kGallery);
    auto backend = internal::make_cuda_backend(capped);
    std::vector<internal::GalleryItem> items;
    for (const auto& r : f.records) items.push_back({r.p.data(), r.salt.data(), r.verifier.data()});
    EXPECT_EQ(cuda::resident_records(*backend->make_gallery(items, kDim, dtype)), plan.resident);
    expect_resident_matches(dtype, kGallery, capped);
  }
}

TEST(CudaResidentGallery, EmptyGalleryAndOutOfRangeIndex) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto gpu = make_engine(params(Dtype::F16), Backend::Cuda);
  const auto t = testing::random_unit_rows(2, kDim, 3);
  const auto empty = gpu->load_gallery({});
  EXPECT_TRUE(gpu->identify(t.data(), 2, *empty).at(1).empty());
  const auto loaded = gpu->load_gallery(gpu->enroll(t.data(), 2));
  const uint32_t bad[1] = {2};
  EXPECT_ERROR_CODE(gpu->verify(t.data(), 1, *loaded, bad), ErrorCode::InvalidArgument);
  const uint32_t good[2] = {1, 0};
  const auto d = gpu->verify(t.data(), 2, *loaded, good);
  EXPECT_EQ(d[0], Decision::Reject);
  EXPECT_EQ(d[1], Decision::Reject);
  const uint32_t same[2] = {0, 1};
  for (auto x : gpu->verify(t.data(), 2, *loaded, same)) EXPECT_EQ(x, Decision::Accept);
}

}  // namespace
}  // namespace spheremask
