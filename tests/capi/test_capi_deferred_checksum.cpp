// sm_records_parse_append_deferred (spheremask.h), the C side of ParseOptions::defer_checksum: a v2 record
// parses without hashing P and sm_verify settles its root before deciding. A flipped byte of P (or of the
// checksum) is SM_TAMPERED for that record alone, for genuine and impostor probes, and releases no key;
// clean deferred records decide and release keys exactly as checked ones; every other use of a pending
// record is SM_ERR_INVALID_RECORD. The C++ behaviour on both backends: tests/format/test_pending_checksum.cpp.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "spheremask/record.hpp"
#include "spheremask/spheremask.h"
#include "support/capi_fixture.hpp"
#include "support/test_util.hpp"

namespace {

using spheremask::kRecordChunkBytes;
using spheremask::kRecordHeaderSizeV2;
using spheremask::testing::random_unit_rows;

constexpr uint32_t kM = spheremask::testing::kCApiM;  // n = 128, f32: P is 64 KiB, 4 chunks
constexpr size_t kCount = 3;

bool has(const std::string& message, const char* part) { return message.find(part) != std::string::npos; }

struct CApiDeferredChecksum : spheremask::testing::CApiFixture {
  std::vector<float> t, impostors;
  std::vector<std::vector<uint8_t>> blobs;

  void SetUp() override {
    CApiFixture::SetUp();
    if (HasFatalFailure()) return;
    t = random_unit_rows(kCount, kM, 51);
    impostors = random_unit_rows(kCount, kM, 52);
    ASSERT_EQ(sm_enroll(engine, t.data(), kCount, records), SM_OK) << sm_last_error();
    for (size_t i = 0; i < kCount; ++i) blobs.push_back(serialized(records, i));
  }

  // A fresh collection holding `b`, parsed deferred (or checked).
  sm_records* parse(const std::vector<std::vector<uint8_t>>& b, bool deferred) {
    sm_records* r = nullptr;
    EXPECT_EQ(sm_records_create(&r), SM_OK);
    for (const auto& bytes : b) {
      const sm_status st = deferred ? sm_records_parse_append_deferred(r, bytes.data(), bytes.size(), 0)
                                    : sm_records_parse_append(r, bytes.data(), bytes.size(), 0);
      EXPECT_EQ(st, SM_OK) << sm_last_error();
    }
    return r;
  }

  std::vector<uint8_t> decide(const std::vector<float>& probes, const sm_records* r) {
    std::vector<uint8_t> d(kCount, 255);
    EXPECT_EQ(sm_verify(engine, probes.data(), kCount, r, d.data()), SM_OK) << sm_last_error();
    return d;
  }
};

TEST_F(CApiDeferredChecksum, CleanRecordsDecideAndReleaseKeysAsCheckedOnes) {
  EXPECT_EQ(sm_engine_defers_checksums(engine), 0);  // the CPU: deferring only moves the pass over P
  EXPECT_EQ(sm_engine_defers_checksums(nullptr), 0);
  sm_records* pending = parse(blobs, true);
  for (size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(sm_records_checksum_pending(pending, i), 1) << i;
    EXPECT_EQ(sm_records_checksum_pending(records, i), 0) << i;
  }
  EXPECT_EQ(sm_records_checksum_pending(pending, kCount), 0);
  EXPECT_EQ(sm_records_checksum_pending(nullptr, 0), 0);
  EXPECT_EQ(decide(t, pending), std::vector<uint8_t>(kCount, SM_ACCEPT));
  EXPECT_EQ(decide(impostors, pending), std::vector<uint8_t>(kCount, SM_REJECT));

  std::vector<uint8_t> dp(kCount), dc(kCount), kp(kCount * SM_KEY_BYTES), kc(kCount * SM_KEY_BYTES);
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), kCount, pending, "ctx", 3, dp.data(), kp.data()), SM_OK)
      << sm_last_error();
  ASSERT_EQ(sm_verify_and_derive(engine, t.data(), kCount, records, "ctx", 3, dc.data(), kc.data()), SM_OK)
      << sm_last_error();
  EXPECT_EQ(dp, std::vector<uint8_t>(kCount, SM_ACCEPT));
  EXPECT_EQ(dc, dp);
  EXPECT_TRUE(kp == kc) << "a deferred record released another key";
  sm_wipe(kp.data(), kp.size());
  sm_wipe(kc.data(), kc.size());
  sm_records_free(pending);
}

TEST_F(CApiDeferredChecksum, AFlippedByteOfPOrTheChecksumIsTampered) {
  const size_t p_bytes = size_t(kM) * kM * 4;
  const std::vector<std::pair<std::string, size_t>> flips = {
      {"P[0]", kRecordHeaderSizeV2},
      {"P at the first chunk boundary", kRecordHeaderSizeV2 + kRecordChunkBytes},
      {"P's last entry", kRecordHeaderSizeV2 + p_bytes - 4},  // low byte: P stays finite
      {"checksum", kRecordHeaderSizeV2 + p_bytes},
  };
  for (const auto& [what, at] : flips) {
    SCOPED_TRACE("flipped: " + what);
    auto bad = blobs;
    bad[1][at] ^= 0x02;
    // The checked parse refuses it, naming the checksum, and appends nothing.
    sm_records* checked = nullptr;
    ASSERT_EQ(sm_records_create(&checked), SM_OK);
    EXPECT_EQ(sm_records_parse_append(checked, bad[1].data(), bad[1].size(), 0), SM_ERR_INVALID_RECORD);
    EXPECT_TRUE(has(sm_last_error(), "checksum")) << sm_last_error();
    EXPECT_EQ(sm_records_count(checked), 0u);
    sm_records_free(checked);

    sm_records* pending = parse(bad, true);
    ASSERT_EQ(sm_records_count(pending), kCount);
    EXPECT_EQ(decide(t, pending), (std::vector<uint8_t>{SM_ACCEPT, SM_TAMPERED, SM_ACCEPT}));
    EXPECT_EQ(decide(impostors, pending), (std::vector<uint8_t>{SM_REJECT, SM_TAMPERED, SM_REJECT}));
    std::vector<uint8_t> d(kCount), keys(kCount * SM_KEY_BYTES, 0xAA);
    ASSERT_EQ(sm_verify_and_derive(engine, t.data(), kCount, pending, "ctx", 3, d.data(), keys.data()), SM_OK)
        << sm_last_error();
    EXPECT_EQ(d[1], SM_TAMPERED);
    EXPECT_EQ(std::vector<uint8_t>(keys.begin() + SM_KEY_BYTES, keys.begin() + 2 * SM_KEY_BYTES),
              std::vector<uint8_t>(SM_KEY_BYTES, 0))
        << "no key from a record whose checksum failed";
    sm_wipe(keys.data(), keys.size());
    sm_records_free(pending);
  }
}

TEST_F(CApiDeferredChecksum, EveryOtherUseRefusesAPendingRecord) {
  sm_records* pending = parse(blobs, true);
  std::vector<uint8_t> buf(sm_records_serialized_size(pending, 0));
  size_t written = 0;
  EXPECT_EQ(sm_records_serialize(pending, 0, buf.data(), buf.size(), &written), SM_ERR_INVALID_RECORD);
  EXPECT_TRUE(has(sm_last_error(), "pending")) << sm_last_error();
  sm_matches* m = nullptr;
  EXPECT_EQ(sm_identify(engine, t.data(), kCount, pending, &m), SM_ERR_INVALID_RECORD);
  EXPECT_EQ(m, nullptr);
  EXPECT_TRUE(has(sm_last_error(), "pending")) << sm_last_error();
  std::vector<uint8_t> d(kCount);
  EXPECT_EQ(sm_verify_frames(engine, t.data(), kCount, 1, SM_FRAMES_MEAN, pending, d.data()), SM_ERR_INVALID_RECORD);
  EXPECT_TRUE(has(sm_last_error(), "pending")) << sm_last_error();
  sm_records_free(pending);

  // A malformed record is refused at the deferred parse as at the checked one (every field but the root).
  sm_records* r = nullptr;
  ASSERT_EQ(sm_records_create(&r), SM_OK);
  EXPECT_EQ(sm_records_parse_append_deferred(r, blobs[0].data(), blobs[0].size() - 1, 0), SM_ERR_INVALID_RECORD);
  EXPECT_EQ(sm_records_parse_append_deferred(nullptr, blobs[0].data(), blobs[0].size(), 0), SM_ERR_INVALID_ARGUMENT);
  EXPECT_TRUE(has(sm_last_error(), "records is null")) << sm_last_error();
  EXPECT_EQ(sm_records_count(r), 0u);
  sm_records_free(r);
}

}  // namespace
