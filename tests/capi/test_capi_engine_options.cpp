// The C setters of the remaining EngineOptions fields (spheremask.h): identify_tensor_cores and
// chunk_hash_on_device take 0 or 1 only, batch_size any size; each refusal names the option. A CPU engine ignores the CUDA switches as the C++ engine does (they are accepted and
// unused): with all of them set, and a batch size that splits the calls, its records, decisions, keys and
// matches are byte-for-byte those of an engine without them. What the switches do on a GPU is tested by
// the CUDA tests (tests/gallery, tests/format/test_pending_checksum.cpp), not here.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "spheremask/spheremask.h"
#include "support/test_util.hpp"

namespace {

using spheremask::testing::random_unit_rows;

constexpr uint32_t kM = 128;  // n = 128, α = 16: 98 bits, fast on the CPU
constexpr size_t kCount = 7;

bool has(const std::string& message, const char* part) { return message.find(part) != std::string::npos; }

std::vector<uint8_t> serialized(const sm_records* r, size_t i) {
  std::vector<uint8_t> out(sm_records_serialized_size(r, i));
  size_t written = 0;
  EXPECT_EQ(sm_records_serialize(r, i, out.data(), out.size(), &written), SM_OK) << sm_last_error();
  return out;
}

sm_params* f16_params() {
  sm_params* p = nullptr;
  EXPECT_EQ(sm_params_create(kM, 0, 16, SM_DTYPE_F16, 0, nullptr, &p), SM_OK) << sm_last_error();
  return p;
}

TEST(CApiEngineOptions, SwitchesTakeZeroOrOneAndRefusalsNameThem) {
  sm_params* p = f16_params();
  ASSERT_NE(p, nullptr);
  for (int on : {0, 1}) {
    EXPECT_EQ(sm_params_set_identify_tensor_cores(p, on), SM_OK) << sm_last_error();
    EXPECT_EQ(sm_params_set_cuda_chunk_hash_on_device(p, on), SM_OK) << sm_last_error();
  }
  for (int bad : {2, -1, 255, INT32_MIN}) {
    EXPECT_EQ(sm_params_set_identify_tensor_cores(p, bad), SM_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_TRUE(has(sm_last_error(), "identify_tensor_cores")) << sm_last_error();
    EXPECT_TRUE(has(sm_last_error(), std::to_string(bad).c_str())) << sm_last_error();
    EXPECT_EQ(sm_params_set_cuda_chunk_hash_on_device(p, bad), SM_ERR_INVALID_ARGUMENT) << bad;
    EXPECT_TRUE(has(sm_last_error(), "chunk_hash_on_device")) << sm_last_error();
  }
  EXPECT_EQ(sm_params_set_identify_tensor_cores(nullptr, 1), SM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(has(sm_last_error(), "params is null")) << sm_last_error();
  EXPECT_EQ(sm_params_set_cuda_chunk_hash_on_device(nullptr, 0), SM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(has(sm_last_error(), "params is null")) << sm_last_error();
  // A success clears the message of the refusal before it.
  EXPECT_EQ(sm_params_set_identify_tensor_cores(p, 0), SM_OK);
  EXPECT_STREQ(sm_last_error(), "");
  sm_params_free(p);
}

TEST(CApiEngineOptions, BatchSizeTakesAnySize) {
  sm_params* p = f16_params();
  ASSERT_NE(p, nullptr);
  for (uint64_t b : {uint64_t(0), uint64_t(1), uint64_t(4096), uint64_t(SIZE_MAX)}) {
    EXPECT_EQ(sm_params_set_batch_size(p, b), SM_OK) << b << ": " << sm_last_error();
  }
  // size_t is 64 bits here, so no uint64 exceeds it: the address-space refusal exists for 32-bit targets.
  static_assert(sizeof(size_t) == sizeof(uint64_t));
  EXPECT_EQ(sm_params_set_batch_size(nullptr, 8), SM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(has(sm_last_error(), "params is null")) << sm_last_error();
  sm_params_free(p);
}

// Records, decisions, keys and 1:N matches of two CPU engines on f16 records (the dtype the tensor-core
// switch concerns): one plain, one with every CUDA switch away from its default and batches of 3 rows.
TEST(CApiEngineOptions, CpuEngineIgnoresTheCudaSwitchesAndBatchSizeChangesNoResult) {
  sm_params* plain_p = f16_params();
  sm_params* switched_p = f16_params();
  ASSERT_NE(plain_p, nullptr);
  ASSERT_NE(switched_p, nullptr);
  ASSERT_EQ(sm_params_set_identify_tensor_cores(switched_p, 1), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_params_set_cuda_chunk_hash_on_device(switched_p, 0), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_params_set_cuda_haar(switched_p, SM_CUDA_HAAR_ORGQR), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_params_set_gallery_cap_bytes(switched_p, 1), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_params_set_batch_size(switched_p, 3), SM_OK) << sm_last_error();  // 7 rows: batches 3 + 3 + 1
  sm_engine *plain = nullptr, *switched = nullptr;
  ASSERT_EQ(sm_engine_create(plain_p, SM_BACKEND_CPU, 2, 0, &plain), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_engine_create(switched_p, SM_BACKEND_CPU, 2, 0, &switched), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_engine_backend(switched), SM_BACKEND_CPU);
  EXPECT_EQ(sm_engine_defers_checksums(plain), 0);
  EXPECT_EQ(sm_engine_defers_checksums(switched), 0);

  const auto t = random_unit_rows(kCount, kM, 41);
  const auto impostors = random_unit_rows(kCount, kM, 42);
  const uint8_t seed[32] = {3};
  sm_records *ra = nullptr, *rb = nullptr;
  ASSERT_EQ(sm_records_create(&ra), SM_OK);
  ASSERT_EQ(sm_records_create(&rb), SM_OK);
  ASSERT_EQ(sm_enroll_insecure_deterministic(plain, t.data(), kCount, seed, 0, ra), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_enroll_insecure_deterministic(switched, t.data(), kCount, seed, 0, rb), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_records_count(rb), kCount);
  for (size_t i = 0; i < kCount; ++i)
    EXPECT_EQ(serialized(ra, i), serialized(rb, i)) << "record " << i;

  // The plain engine's records under both engines: every genuine probe accepted with the same key,
  // every impostor rejected, and each probe identifies its own record only.
  std::vector<uint8_t> da(kCount, 255), db(kCount, 255), ka(kCount * SM_KEY_BYTES), kb(kCount * SM_KEY_BYTES);
  ASSERT_EQ(sm_verify_and_derive(plain, t.data(), kCount, ra, "ctx", 3, da.data(), ka.data()), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_verify_and_derive(switched, t.data(), kCount, ra, "ctx", 3, db.data(), kb.data()), SM_OK)
      << sm_last_error();
  EXPECT_EQ(da, std::vector<uint8_t>(kCount, SM_ACCEPT));
  EXPECT_EQ(db, da);
  EXPECT_TRUE(ka == kb) << "the switched engine released other keys";
  sm_wipe(ka.data(), ka.size());
  sm_wipe(kb.data(), kb.size());
  ASSERT_EQ(sm_verify(plain, impostors.data(), kCount, ra, da.data()), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_verify(switched, impostors.data(), kCount, ra, db.data()), SM_OK) << sm_last_error();
  EXPECT_EQ(da, std::vector<uint8_t>(kCount, SM_REJECT));
  EXPECT_EQ(db, da);
  for (sm_engine* e : {plain, switched}) {
    sm_matches* m = nullptr;
    ASSERT_EQ(sm_identify(e, t.data(), kCount, ra, &m), SM_OK) << sm_last_error();
    const size_t* offsets = sm_matches_offsets(m);
    const uint32_t* indices = sm_matches_indices(m);
    for (size_t i = 0; i < kCount; ++i) {
      ASSERT_EQ(offsets[i + 1] - offsets[i], 1u) << "probe " << i;
      EXPECT_EQ(indices[offsets[i]], i);
    }
    sm_matches_free(m);
  }
  sm_records_free(ra);
  sm_records_free(rb);
  sm_engine_free(plain);
  sm_engine_free(switched);
  sm_params_free(plain_p);
  sm_params_free(switched_p);
}

}  // namespace
