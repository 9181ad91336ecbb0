// The C API (spheremask.h) on the CPU backend: status codes and the thread-local last error,
// record round trips, verification decisions and keys, identification offsets, sealing.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crypto/crypto.hpp"
#include "support/record_reseal.hpp"
#include "spheremask/spheremask.h"
#include "support/capi_fixture.hpp"
#include "support/test_util.hpp"

namespace {

using spheremask::testing::at_angle;
using spheremask::testing::random_unit_rows;

constexpr uint32_t kM = spheremask::testing::kCApiM;

struct CApiTest : spheremask::testing::CApiFixture {};

TEST(CApi, VersionAndStatusNames) {
  EXPECT_EQ(sm_version(), uint32_t(SM_VERSION));
  EXPECT_STREQ(sm_version_string(), SM_VERSION_STRING);
  EXPECT_EQ(sm_abi_version(), SM_ABI_VERSION);
  EXPECT_STREQ(sm_status_name(SM_OK), "ok");
  EXPECT_STREQ(sm_status_name(SM_ERR_TAMPERED), "tampered record");
  EXPECT_STREQ(sm_status_name(SM_ERR_BUFFER_TOO_SMALL), "buffer too small");
  EXPECT_STREQ(sm_status_name(12345), "unknown status");
  EXPECT_GE(sm_cuda_device_count(), 0);
  EXPECT_NEAR(sm_code_bits(512, 16), 115.4, 0.1);
}

TEST(CApi, ParameterErrorsCarryCodeAndMessage) {
  sm_params* p = reinterpret_cast<sm_params*>(1);
  EXPECT_EQ(sm_params_create(64, 0, 4, SM_DTYPE_F32, 0, nullptr, &p), SM_ERR_WEAK_PARAMETERS);
  EXPECT_EQ(p, nullptr);
  EXPECT_NE(std::string(sm_last_error()).find("80"), std::string::npos) << sm_last_error();
  EXPECT_EQ(sm_params_create(64, 0, 4, SM_DTYPE_F32, 1, nullptr, &p), SM_OK);
  EXPECT_STREQ(sm_last_error(), "");  // a success clears the message
  sm_params_free(p);
  EXPECT_EQ(sm_params_create(64, 0, 4, SM_DTYPE_F32, 1, "/nonexistent.smte", &p), SM_ERR_IO) << sm_last_error();
  EXPECT_EQ(sm_params_create(64, 0, 4, SM_DTYPE_F32, 1, nullptr, nullptr), SM_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(sm_last_error()).find("out is null"), std::string::npos);
}

// A C caller may pass any integer where the header names an enum: each is rejected by value, never
// loaded as the enum type (UBSan's -fsanitize=enum flagged the former conversion).
TEST(CApi, EnumArgumentsOutsideTheirEnumeratorsAreInvalidArguments) {
  sm_params* p = reinterpret_cast<sm_params*>(1);
  for (int dtype : {7, -1, 2, 255}) {
    EXPECT_EQ(sm_params_create(64, 0, 4, dtype, 1, nullptr, &p), SM_ERR_INVALID_ARGUMENT) << dtype;
    EXPECT_EQ(p, nullptr);
    EXPECT_NE(std::string(sm_last_error()).find("dtype: unknown value " + std::to_string(dtype)), std::string::npos)
        << sm_last_error();
    EXPECT_EQ(sm_params_create_with_expander(64, 0, 4, dtype, 1, nullptr, &p), SM_ERR_INVALID_ARGUMENT) << dtype;
  }
  ASSERT_EQ(sm_params_create(64, 0, 4, SM_DTYPE_F16, 1, nullptr, &p), SM_OK) << sm_last_error();
  sm_engine* e = reinterpret_cast<sm_engine*>(1);
  for (int backend : {3, -1, 1 << 30}) {
    EXPECT_EQ(sm_engine_create(p, backend, 1, 0, &e), SM_ERR_INVALID_ARGUMENT) << backend;
    EXPECT_EQ(e, nullptr);
    EXPECT_NE(std::string(sm_last_error()).find("backend: unknown value " + std::to_string(backend)),
              std::string::npos)
        << sm_last_error();
  }
  sm_params_free(p);
  sm_store* store = reinterpret_cast<sm_store*>(1);
  const std::string path = ::testing::TempDir() + "capi_enum_mode.smdb";
  std::remove(path.c_str());
  for (int mode : {3, -2}) {
    EXPECT_EQ(sm_store_open(path.c_str(), mode, &store), SM_ERR_INVALID_ARGUMENT) << mode;
    EXPECT_EQ(store, nullptr);
    EXPECT_NE(std::string(sm_last_error()).find("mode: unknown store mode " + std::to_string(mode)), std::string::npos)
        << sm_last_error();
  }
  EXPECT_FALSE(std::ifstream(path).good()) << "a rejected mode must not create the file";
}

TEST(CApi, LastErrorIsPerThread) {
  sm_params* p = nullptr;
  ASSERT_NE(sm_params_create(64, 0, 4, SM_DTYPE_F32, 0, nullptr, &p), SM_OK);
  std::string other;
  std::thread([&] { other = sm_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_STRNE(sm_last_error(), "");
}

TEST(CApi, FreeFunctionsAcceptNull) {
  sm_params_free(nullptr);
  sm_engine_free(nullptr);
  sm_records_free(nullptr);
  sm_matches_free(nullptr);
  sm_expander_free(nullptr);
  sm_wipe(nullptr, 0);
  EXPECT_EQ(sm_records_count(nullptr), 0u);
}

TEST_F(CApiTest, EngineReportsBackendAndDims) {
  EXPECT_EQ(sm_engine_backend(engine), SM_BACKEND_CPU);
  uint32_t m = 0, n = 0, alpha = 0;
  sm_engine_dims(engine, &m, &n, &alpha);
  EXPECT_EQ(m, kM);
  EXPECT_EQ(n, kM);
  EXPECT_EQ(alpha, 16u);
}

TEST_F(CApiTest, EnrollVerifyDeriveThroughSerializedBytes) {
  const auto t = random_unit_rows(3, kM, 1);
  ASSERT_EQ(sm_enroll(engine, t.data(), 3, records), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_records_count(records), 3u);

  // Store and reload, as a server does.
  sm_records* loaded = nullptr;
  ASSERT_EQ(sm_records_create(&loaded), SM_OK);
  for (size_t i = 0; i < 3; ++i) {
    const auto bytes = serialized(records, i);
    ASSERT_EQ(sm_records_parse_append(loaded, bytes.data(), bytes.size(), 0), SM_OK) << sm_last_error();
    EXPECT_EQ(serialized(loaded, i), bytes);
  }

  std::mt19937 rng(2);
  std::vector<float> probes;
  for (size_t i = 0; i < 3; ++i) {
    const auto p = i == 1 ? random_unit_rows(1, kM, 99) : at_angle(t.data() + i * kM, kM, 20.0, rng);
    probes.insert(probes.end(), p.begin(), p.end());
  }
  uint8_t decisions[3];
  ASSERT_EQ(sm_verify(engine, probes.data(), 3, loaded, decisions), SM_OK) << sm_last_error();
  EXPECT_EQ(decisions[0], SM_ACCEPT);
  EXPECT_EQ(decisions[1], SM_REJECT);
  EXPECT_EQ(decisions[2], SM_ACCEPT);

  uint8_t keys[3 * SM_KEY_BYTES], again[3 * SM_KEY_BYTES];
  const char ctx[] = "login";
  ASSERT_EQ(sm_verify_and_derive(engine, probes.data(), 3, loaded, ctx, 5, decisions, keys), SM_OK);
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), 3, records, ctx, 5, decisions, again), SM_OK);
  EXPECT_EQ(std::memcmp(keys, again, SM_KEY_BYTES), 0);  // same codeword, same key
  EXPECT_EQ(std::vector<uint8_t>(keys + SM_KEY_BYTES, keys + 2 * SM_KEY_BYTES), std::vector<uint8_t>(32, 0));
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), 3, records, "other", 5, decisions, again), SM_OK);
  EXPECT_NE(std::memcmp(keys, again, SM_KEY_BYTES), 0);  // the context separates keys
  sm_wipe(keys, sizeof keys);
  sm_wipe(again, sizeof again);
  sm_records_free(loaded);
}

TEST_F(CApiTest, SerializeReportsTheSizeItNeeds) {
  const auto t = random_unit_rows(1, kM, 3);
  ASSERT_EQ(sm_enroll(engine, t.data(), 1, records), SM_OK);
  uint8_t small[16];
  size_t written = 0;
  EXPECT_EQ(sm_records_serialize(records, 0, small, sizeof small, &written), SM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(written, 136 + kM * kM * 4 + 64);
  EXPECT_EQ(sm_records_serialize(records, 1, small, sizeof small, &written), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_records_serialized_size(records, 1), 0u);
}

TEST_F(CApiTest, ParseRejectsBadBytesWithoutAppending) {
  const uint8_t junk[200] = {'X'};
  EXPECT_EQ(sm_records_parse_append(records, junk, sizeof junk, 0), SM_ERR_INVALID_RECORD);
  EXPECT_NE(std::string(sm_last_error()).find("magic"), std::string::npos) << sm_last_error();
  EXPECT_EQ(sm_records_count(records), 0u);
}

TEST_F(CApiTest, InsecureDeterministicEnrollmentIsReproducibleAndFlagged) {
  const auto t = random_unit_rows(2, kM, 4);
  uint8_t seed[32];
  for (int i = 0; i < 32; ++i) seed[i] = uint8_t(i);
  ASSERT_EQ(sm_enroll_insecure_deterministic(engine, t.data(), 2, seed, 0, records), SM_OK);
  ASSERT_EQ(sm_enroll_insecure_deterministic(engine, t.data(), 2, seed, 0, records), SM_OK);
  ASSERT_EQ(sm_enroll(engine, t.data(), 1, records), SM_OK);
  EXPECT_EQ(serialized(records, 0), serialized(records, 2));
  EXPECT_NE(serialized(records, 0), serialized(records, 1));
  EXPECT_EQ(sm_records_is_deterministic(records, 0), 1);
  EXPECT_EQ(sm_records_is_deterministic(records, 4), 0);
  EXPECT_EQ(sm_enroll_insecure_deterministic(engine, t.data(), 2, nullptr, 0, records), SM_ERR_INVALID_ARGUMENT);
}

TEST_F(CApiTest, ModifiedPIsTampered) {
  const auto t = random_unit_rows(1, kM, 5);
  ASSERT_EQ(sm_enroll(engine, t.data(), 1, records), SM_OK);
  auto bytes = serialized(records, 0);
  bytes[136] ^= 0x01;  // lowest mantissa bit of P[0][0]: decoding unchanged, only the MAC notices
  spheremask::testing::reseal_v2(bytes);
  sm_records* modified = nullptr;
  ASSERT_EQ(sm_records_create(&modified), SM_OK);
  ASSERT_EQ(sm_records_parse_append(modified, bytes.data(), bytes.size(), 0), SM_OK) << sm_last_error();
  uint8_t decision = 0xff;
  uint8_t key[SM_KEY_BYTES];
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), 1, modified, nullptr, 0, &decision, key), SM_OK);
  EXPECT_EQ(decision, SM_TAMPERED);
  EXPECT_EQ(std::vector<uint8_t>(key, key + 32), std::vector<uint8_t>(32, 0));
  sm_records_free(modified);
}

TEST_F(CApiTest, VerifyChecksArguments) {
  const auto t = random_unit_rows(2, kM, 6);
  ASSERT_EQ(sm_enroll(engine, t.data(), 1, records), SM_OK);
  uint8_t d[2];
  EXPECT_EQ(sm_verify(engine, t.data(), 2, records, d), SM_ERR_INVALID_ARGUMENT);  // 2 probes, 1 record
  EXPECT_EQ(sm_verify(engine, nullptr, 1, records, d), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_verify(nullptr, t.data(), 1, records, d), SM_ERR_INVALID_ARGUMENT);
  std::vector<float> zero(kM, 0.0f);
  EXPECT_EQ(sm_enroll(engine, zero.data(), 1, records), SM_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sm_records_count(records), 1u);  // a failed enrollment appends nothing
}

TEST_F(CApiTest, RecordsOfOtherParametersMismatch) {
  sm_params* p20 = nullptr;
  sm_engine* e20 = nullptr;
  ASSERT_EQ(sm_params_create(kM, 0, 20, SM_DTYPE_F32, 0, nullptr, &p20), SM_OK);
  ASSERT_EQ(sm_engine_create(p20, SM_BACKEND_CPU, 1, 0, &e20), SM_OK);
  const auto t = random_unit_rows(1, kM, 7);
  ASSERT_EQ(sm_enroll(engine, t.data(), 1, records), SM_OK);
  uint8_t d;
  EXPECT_EQ(sm_verify(e20, t.data(), 1, records, &d), SM_ERR_MISMATCH);
  sm_engine_free(e20);
  sm_params_free(p20);
}

TEST_F(CApiTest, IdentifyReturnsFlatMatchesWithOffsets) {
  const auto gallery = random_unit_rows(4, kM, 8);
  ASSERT_EQ(sm_enroll(engine, gallery.data(), 4, records), SM_OK);
  std::mt19937 rng(9);
  std::vector<float> probes = at_angle(gallery.data() + 2 * kM, kM, 10.0, rng);
  const auto stranger = random_unit_rows(1, kM, 10);
  probes.insert(probes.end(), stranger.begin(), stranger.end());
  const auto first = at_angle(gallery.data(), kM, 10.0, rng);
  probes.insert(probes.end(), first.begin(), first.end());
  sm_matches* m = nullptr;
  ASSERT_EQ(sm_identify(engine, probes.data(), 3, records, &m), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_matches_probe_count(m), 3u);
  const size_t* off = sm_matches_offsets(m);
  const uint32_t* idx = sm_matches_indices(m);
  EXPECT_EQ(std::vector<size_t>(off, off + 4), (std::vector<size_t>{0, 1, 1, 2}));
  EXPECT_EQ(idx[0], 2u);
  EXPECT_EQ(idx[1], 0u);
  sm_matches_free(m);
}

TEST(CApi, SealAndOpen) {
  uint8_t key[SM_KEY_BYTES];
  for (int i = 0; i < SM_KEY_BYTES; ++i) key[i] = uint8_t(3 * i);
  const uint8_t msg[] = "hello";
  const uint8_t aad[] = "record";
  std::vector<uint8_t> sealed(sizeof msg + SM_SEAL_OVERHEAD);
  size_t len = 0;
  EXPECT_EQ(sm_seal(key, msg, sizeof msg, aad, sizeof aad, sealed.data(), 4, &len), SM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(len, sealed.size());
  ASSERT_EQ(sm_seal(key, msg, sizeof msg, aad, sizeof aad, sealed.data(), sealed.size(), &len), SM_OK);
  ASSERT_EQ(len, sealed.size());

  uint8_t out[sizeof msg];
  size_t out_len = 0;
  EXPECT_EQ(sm_open_sealed(key, sealed.data(), len, aad, sizeof aad, out, 2, &out_len), SM_ERR_BUFFER_TOO_SMALL);
  EXPECT_EQ(out_len, sizeof msg);
  ASSERT_EQ(sm_open_sealed(key, sealed.data(), len, aad, sizeof aad, out, sizeof out, &out_len), SM_OK);
  EXPECT_EQ(std::memcmp(out, msg, sizeof msg), 0);
  EXPECT_EQ(sm_open_sealed(key, sealed.data(), len, nullptr, 0, out, sizeof out, &out_len), SM_ERR_CRYPTO);
  key[0] ^= 1;
  EXPECT_EQ(sm_open_sealed(key, sealed.data(), len, aad, sizeof aad, out, sizeof out, &out_len), SM_ERR_CRYPTO);
  EXPECT_EQ(sm_open_sealed(key, sealed.data(), 3, aad, sizeof aad, out, sizeof out, &out_len),
            SM_ERR_INVALID_RECORD);
}

}  // namespace

namespace {

TEST_F(CApiTest, StorePutAndGetRoundTrip) {
  const std::string path = ::testing::TempDir() + "capi_store_test.db";
  std::remove(path.c_str());
  sm_store* store = nullptr;
  ASSERT_EQ(sm_store_open(path.c_str(), SM_STORE_CREATE, &store), SM_OK) << sm_last_error();
  const auto t = random_unit_rows(2, kM, 11);
  ASSERT_EQ(sm_enroll(engine, t.data(), 2, records), SM_OK);
  const char* ids[] = {"alice", "bob"};
  ASSERT_EQ(sm_store_put(store, ids, records, 0), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_store_put(store, ids, records, 0), SM_ERR_STORE);  // ids already present
  size_t count = 0;
  ASSERT_EQ(sm_store_count(store, &count), SM_OK);
  EXPECT_EQ(count, 2u);

  sm_records* loaded = nullptr;
  ASSERT_EQ(sm_records_create(&loaded), SM_OK);
  ASSERT_EQ(sm_store_get_append(store, "bob", 0, loaded), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_store_get_append(store, "carol", 0, loaded), SM_ERR_STORE);
  uint8_t d = 0;
  ASSERT_EQ(sm_verify(engine, t.data() + kM, 1, loaded, &d), SM_OK);
  EXPECT_EQ(d, SM_ACCEPT);
  sm_records_free(loaded);
  sm_store_free(store);
  std::remove(path.c_str());
}

}  // namespace
