// Records parsed with ParseOptions::defer_checksum (DESIGN §4: a record is used for no decision until its
// checksum matches), on every backend: the engine settles the root from the P it verifies with (on the
// GPU from the uploaded P, on the CPU here) before deciding; any flipped byte of P, of a digest-covered
// header field or of the checksum is Tampered; every other use of a pending record is refused. Also the
// enrolled chunk digests (hashed on the device by the CUDA backend) against the CPU's.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "crypto/crypto.hpp"
#include "format/chunk_digests.hpp"
#include "format/record_batch.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/multi_sample.hpp"
#include "spheremask/record.hpp"
#include "support/backends.hpp"
#include "support/expect_error.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::BackendTest;
using testing::random_unit_rows;
using testing::to_hex;

constexpr size_t kCount = 3;
constexpr size_t kSaltOffset = 88;     // v2 header: magic .. app id are 88 bytes
constexpr size_t kSamplesOffset = 20;  // v2 header: u16 after hash_alg

std::unique_ptr<Engine> engine_on(Backend b, uint32_t n, Dtype d) {
  Params p;
  p.m = p.n = n;
  p.alpha = 16;
  p.dtype = d;
  return make_engine(p, b);
}

std::vector<crypto::Digest> cpu_digests(const std::vector<uint8_t>& p) {
  std::vector<crypto::Digest> d(format::chunk_count(p.size()));
  format::chunk_digests(p, d.data(), 1, crypto::HashImpl::Portable);
  return d;
}

std::vector<Record> parse_all(const std::vector<std::vector<uint8_t>>& blobs, bool defer) {
  std::vector<Record> out;
  for (const auto& b : blobs) out.push_back(Record::parse(b, ParseOptions{.allow_weak = false, .defer_checksum = defer}));
  return out;
}

class PendingChecksum : public BackendTest {};

// n = 128 f32: P is exactly 4 chunks; n = 181: the last chunk is partial (f32) or P is under 5 chunks (f16).
TEST_P(PendingChecksum, EnrolledDigestsAreTheCpuChunkDigests) {
  for (Dtype d : {Dtype::F32, Dtype::F16})
    for (uint32_t n : {128u, 181u}) {
      SCOPED_TRACE("n = " + std::to_string(n) + (d == Dtype::F32 ? " f32" : " f16"));
      auto engine = engine_on(backend(), n, d);
      auto cpu = engine_on(Backend::Cpu, n, d);
      const auto t = random_unit_rows(kCount, n, n + 7);
      const auto records = engine->enroll(t.data(), kCount);
      std::vector<Record> reparsed;
      for (const auto& r : records) {
        ASSERT_EQ(r.p_digests.size(), r.chunk_count());
        EXPECT_EQ(r.p_digests, cpu_digests(r.p)) << "enrollment digests = OpenSSL over the returned P";
        reparsed.push_back(Record::parse(r.serialize()));  // the full CPU checksum check
      }
      for (Engine* e : {engine.get(), cpu.get()})
        for (Decision dec : e->verify(t.data(), kCount, reparsed)) EXPECT_EQ(dec, Decision::Accept);
    }
}

TEST_P(PendingChecksum, DeferredRootIsSettledBeforeAnyDecision) {
  for (Dtype d : {Dtype::F32, Dtype::F16})
    for (uint32_t n : {128u, 181u}) {
      SCOPED_TRACE("n = " + std::to_string(n) + (d == Dtype::F32 ? " f32" : " f16"));
      auto engine = engine_on(backend(), n, d);
      EXPECT_EQ(engine->defers_checksums(), backend() == Backend::Cuda);
      const auto t = random_unit_rows(kCount, n, n + 11);
      const auto impostor = random_unit_rows(kCount, n, n + 12);
      std::vector<std::vector<uint8_t>> blobs;
      for (const auto& r : engine->enroll(t.data(), kCount)) blobs.push_back(r.serialize());
      const auto checked = parse_all(blobs, false);
      const auto pending = parse_all(blobs, true);
      for (const auto& r : pending) {
        EXPECT_TRUE(r.checksum_pending());
        EXPECT_TRUE(r.p_digests.empty());
      }
      for (Decision dec : engine->verify(t.data(), kCount, pending)) EXPECT_EQ(dec, Decision::Accept);
      for (Decision dec : engine->verify(impostor.data(), kCount, pending)) EXPECT_EQ(dec, Decision::Reject);
      const auto want = engine->verify_and_derive(t.data(), kCount, checked, "ctx");
      const auto got = engine->verify_and_derive(t.data(), kCount, pending, "ctx");
      for (size_t i = 0; i < kCount; ++i) {
        ASSERT_EQ(got[i].decision, Decision::Accept);
        EXPECT_EQ(to_hex(got[i].key.bytes()), to_hex(want[i].key.bytes())) << "same key as a checked record";
      }

      // One flipped byte of record 1: P's first entry, the first entry of its second chunk, its last
      // entry (low byte: P stays finite), a salt byte, the samples field, the checksum.
      const size_t elem = dtype_size(d), pb = checked[0].p_bytes();
      const std::vector<std::pair<std::string, size_t>> flips = {
          {"P[0]", kRecordHeaderSizeV2},
          {"P at the first chunk boundary", kRecordHeaderSizeV2 + kRecordChunkBytes},
          {"P's last entry", kRecordHeaderSizeV2 + pb - elem},
          {"salt", kSaltOffset},
          {"samples", kSamplesOffset},
          {"checksum", kRecordHeaderSizeV2 + pb},
      };
      for (const auto& [what, at] : flips) {
        SCOPED_TRACE("flipped: " + what);
        auto bad = blobs;
        bad[1][at] ^= 0x02;  // samples 1 → 3: still a valid header
        EXPECT_ERROR_CODE(Record::parse(bad[1]), ErrorCode::InvalidRecord, "'checksum'");  // checked parse
        const auto records = parse_all(bad, true);
        ASSERT_TRUE(records[1].checksum_pending());
        for (const float* probes : {t.data(), impostor.data()}) {
          const auto dec = engine->verify(probes, kCount, records);
          EXPECT_EQ(dec[1], Decision::Tampered);
          EXPECT_EQ(dec[0], probes == t.data() ? Decision::Accept : Decision::Reject);
          EXPECT_EQ(dec[2], probes == t.data() ? Decision::Accept : Decision::Reject);
        }
        const auto keyed = engine->verify_and_derive(t.data(), kCount, records, "ctx");
        EXPECT_EQ(keyed[1].decision, Decision::Tampered);
        EXPECT_EQ(to_hex(keyed[1].key.bytes()), std::string(64, '0')) << "no key from an unchecked record";
      }
    }
}

TEST_P(PendingChecksum, EveryOtherUseRefusesAPendingRecord) {
  const uint32_t n = 128;
  auto engine = engine_on(backend(), n, Dtype::F32);
  const auto t = random_unit_rows(kCount, n, 5);
  std::vector<std::vector<uint8_t>> blobs;
  for (const auto& r : engine->enroll(t.data(), kCount)) blobs.push_back(r.serialize());
  const auto pending = parse_all(blobs, true);
  EXPECT_ERROR_CODE(pending[0].serialize(), ErrorCode::InvalidRecord, "'checksum'", "pending");
  EXPECT_ERROR_CODE(pending[0].checksum(), ErrorCode::InvalidRecord, "'checksum'", "pending");
  EXPECT_ERROR_CODE(engine->identify(t.data(), kCount, pending), ErrorCode::InvalidRecord, "record 0", "pending");
  EXPECT_ERROR_CODE(engine->load_gallery(pending), ErrorCode::InvalidRecord, "pending");
  FrameOptions frames;
  frames.per_probe = 1;
  EXPECT_ERROR_CODE(engine->verify_frames(t.data(), kCount, pending, frames), ErrorCode::InvalidRecord, "pending");
  // A copy stays pending: there is no way to a checked record but a checked parse or the verification.
  const Record copy = pending[2];
  EXPECT_TRUE(copy.checksum_pending());
  EXPECT_ERROR_CODE(copy.serialize(), ErrorCode::InvalidRecord, "pending");
  // The batch parser takes the option too.
  const auto batch = internal::parse_records(blobs, false, 2, /*defer_checksum=*/true);
  for (const auto& p : batch) {
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_TRUE(p.record.checksum_pending());
  }
  for (Decision dec : engine->verify(t.data(), kCount, parse_all(blobs, false))) EXPECT_EQ(dec, Decision::Accept);
}

// v1 records have no digest tree: defer_checksum does not apply, their checksum is checked at parse.
TEST(PendingChecksumV1, V1RecordsAreAlwaysCheckedAtParse) {
  Record r;
  r.version = kRecordVersion1;
  r.hash_alg = kHashSha256;
  r.m = r.n = 64;
  r.alpha = 1;
  r.p.assign(r.p_bytes(), 0);
  auto b = r.serialize();
  const Record q = Record::parse(b, ParseOptions{.allow_weak = true, .defer_checksum = true});
  EXPECT_FALSE(q.checksum_pending());
  b[kRecordHeaderSize] ^= 0x01;
  EXPECT_ERROR_CODE(Record::parse(b, ParseOptions{.allow_weak = true, .defer_checksum = true}), ErrorCode::InvalidRecord,
                    "'checksum'");
}

INSTANTIATE_BACKENDS(PendingChecksum);

}  // namespace
}  // namespace spheremask
