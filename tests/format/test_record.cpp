// SMHD records as written today (v2, DESIGN §4): layout, round trip, every truncation, corruption
// (checksum), tampering with a recomputed checksum (MAC → Tampered, never Accept), wrong parameters, and
// field validation that names the failing field. test_record_v2.cpp has the v2-specific cases (digest
// tree, chunk boundaries, v1 beside v2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "support/backends.hpp"
#include "support/expect_error.hpp"
#include "support/record_reseal.hpp"
#include "support/record_setup.hpp"
#include "crypto/crypto.hpp"
#include "format/record_batch.hpp"
#include "spheremask/error.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/record.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

constexpr size_t kH = kRecordHeaderSizeV2;  // header bytes of the records written today

void reseal(std::vector<uint8_t>& b) { reseal_v2(b); }

// ---- format ---------------------------------------------------------------------------------------

TEST(Record, LayoutMatchesDesign) {
  auto e = square_engine(128, 16);
  const auto t = random_unit_rows(1, 128, 1);
  const Record r = enroll_deterministic(*e, t, 1)[0];
  const auto b = r.serialize();
  ASSERT_EQ(b.size(), 136u + 128 * 128 * 4 + 64);
  EXPECT_EQ(r.serialized_size(), b.size());
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "SMHD");
  auto u16 = [&](size_t o) { return uint32_t(detail::load_le16(b.data() + o)); };
  auto u32 = [&](size_t o) { return detail::load_le32(b.data() + o); };
  EXPECT_EQ(u16(4), 2u);                    // version
  EXPECT_EQ(u16(6), kFlagDeterministic);    // flags
  EXPECT_EQ(u32(8), 128u);                  // m
  EXPECT_EQ(u32(12), 128u);                 // n
  EXPECT_EQ(u16(16), 16u);                  // alpha
  EXPECT_EQ(b[18], 0);                      // dtype f32
  EXPECT_EQ(b[19], 2);                      // SHA-256 digest tree
  EXPECT_EQ(u16(20), 1u);                   // samples
  EXPECT_EQ(u16(22), 0u);                   // reserved
  for (size_t i = 24; i < 88; ++i) EXPECT_EQ(b[i], 0) << "expander/app id byte " << i;
  EXPECT_EQ(0, std::memcmp(b.data() + 88, r.salt.data(), 16));
  EXPECT_EQ(0, std::memcmp(b.data() + 104, r.verifier.data(), 32));
  EXPECT_EQ(0, std::memcmp(b.data() + 136, r.p.data(), r.p.size()));
  const size_t body = 136 + r.p.size();
  auto resealed = b;
  reseal(resealed);
  EXPECT_EQ(resealed, b) << "the checksum is the digest-tree root over header and 16 KiB chunks";
  EXPECT_EQ(0, std::memcmp(b.data() + body + 32, r.mac.data(), 32));
  const auto h = r.header();
  ASSERT_EQ(h.size(), kH);
  EXPECT_EQ(0, std::memcmp(h.data(), b.data(), kH));
}

TEST(Record, RoundTripF32AndF16) {
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    auto e = square_engine(128, 16, Backend::Cpu, d);
    const auto t = random_unit_rows(2, 128, 2);
    for (const Record& r : enroll_deterministic(*e, t, 2)) {
      const auto b = r.serialize();
      const Record q = Record::parse(b);
      EXPECT_EQ(q.flags, r.flags);
      EXPECT_EQ(q.m, r.m);
      EXPECT_EQ(q.n, r.n);
      EXPECT_EQ(q.alpha, r.alpha);
      EXPECT_EQ(q.dtype, d);
      EXPECT_EQ(q.hash_alg, r.hash_alg);
      EXPECT_EQ(q.expander_id, r.expander_id);
      EXPECT_EQ(q.app_id, r.app_id);
      EXPECT_EQ(q.salt, r.salt);
      EXPECT_EQ(q.verifier, r.verifier);
      EXPECT_EQ(q.p, r.p);
      EXPECT_EQ(q.mac, r.mac);
      EXPECT_EQ(q.serialize(), b);
    }
    // Parsed records accept their genuine templates.
    const auto recs = enroll_deterministic(*e, t, 2);
    std::vector<Record> parsed;
    for (const auto& r : recs) parsed.push_back(Record::parse(r.serialize()));
    for (auto x : e->verify(t.data(), 2, parsed)) EXPECT_EQ(x, Decision::Accept);
  }
}

TEST(Record, SerializeRejectsWrongPSize) {
  auto e = square_engine(128, 16);
  const auto t = random_unit_rows(1, 128, 3);
  Record r = enroll_deterministic(*e, t, 1)[0];
  r.p.pop_back();
  EXPECT_EQ(thrown_error([&] { r.serialize(); }).code, ErrorCode::InvalidArgument);
}

// Every proper prefix (and one extra byte) of a record is rejected as InvalidRecord, for both dtypes.
TEST(Record, EveryTruncationLengthThrows) {
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    auto e = square_engine(128, 16, Backend::Cpu, d);
    const auto t = random_unit_rows(1, 128, 4);
    const auto b = enroll_deterministic(*e, t, 1)[0].serialize();
    for (size_t len = 0; len < b.size(); ++len) {
      const auto th = thrown_error([&] { Record::parse({b.data(), len}); });
      ASSERT_EQ(th.code, ErrorCode::InvalidRecord) << "length " << len << " of " << b.size();
    }
    auto longer = b;
    longer.push_back(0);
    EXPECT_EQ(thrown_error([&] { Record::parse(longer); }).code, ErrorCode::InvalidRecord);
    EXPECT_NO_THROW(Record::parse(b));
  }
}

// Random single-byte corruption anywhere before the MAC is caught by parse (the checksum, or the field
// check that comes first); the message names a field.
TEST(Record, RandomByteFlipsAreInvalidRecord) {
  auto e = square_engine(128, 16);
  const auto t = random_unit_rows(1, 128, 5);
  const auto b = enroll_deterministic(*e, t, 1)[0].serialize();
  std::mt19937 rng(17);
  const size_t covered = b.size() - 32;  // everything but the MAC
  std::vector<size_t> positions;
  for (size_t i = 0; i < kH; ++i) positions.push_back(i);                     // every header byte
  for (size_t i = covered - 32; i < covered; ++i) positions.push_back(i);     // every checksum byte
  for (int k = 0; k < 3000; ++k) positions.push_back(rng() % covered);        // random P bytes
  for (size_t pos : positions) {
    auto bad = b;
    bad[pos] ^= uint8_t(1 + rng() % 255);
    const auto th = thrown_error([&] { Record::parse(bad); });
    ASSERT_EQ(th.code, ErrorCode::InvalidRecord) << "byte " << pos;
    ASSERT_NE(th.what.find("record field '"), std::string::npos) << th.what;
    if (pos >= kH) ASSERT_NE(th.what.find("'checksum'"), std::string::npos) << "byte " << pos << ": " << th.what;
  }
}

// The batch parser (store scans: checksums hashed together, rows spread over threads) agrees with
// Record::parse on every blob of a mixed batch: good records, truncations, flipped P or checksum bytes.
TEST(Record, BatchParseAgreesWithParseBlobByBlob) {
  auto e = square_engine(128, 16);
  const auto t = random_unit_rows(6, 128, 8);
  const auto records = enroll_deterministic(*e, t, 6);
  std::vector<std::vector<uint8_t>> blobs;
  for (const auto& r : records) blobs.push_back(r.serialize());
  blobs.push_back(std::vector<uint8_t>(blobs[0].begin(), blobs[0].begin() + 100));       // truncated
  blobs.push_back(blobs[1]);
  blobs.back()[kRecordHeaderSize + 77] ^= 0x10;                                          // P byte
  blobs.push_back(blobs[2]);
  blobs.back()[blobs.back().size() - 40] ^= 0x01;                                        // checksum byte
  blobs.push_back({});                                                                   // empty
  for (int threads : {1, 3}) {
    const auto parsed = internal::parse_records(blobs, false, threads);
    ASSERT_EQ(parsed.size(), blobs.size());
    for (size_t i = 0; i < blobs.size(); ++i) {
      const auto th = thrown_error([&] { Record::parse(blobs[i]); });
      ASSERT_EQ(parsed[i].ok, th.what.empty()) << "blob " << i;
      if (parsed[i].ok)
        EXPECT_EQ(parsed[i].record.serialize(), blobs[i]) << "blob " << i;
      else
        EXPECT_EQ(parsed[i].error, th.what) << "blob " << i;
    }
    EXPECT_EQ(std::count_if(parsed.begin(), parsed.end(), [](const auto& p) { return p.ok; }), 6);
  }
}

// Edit a header field, recompute the checksum, and the parser still names the field.
TEST(Record, BadFieldsAreNamed) {
  auto e = square_engine(128, 16);
  const auto t = random_unit_rows(1, 128, 6);
  const auto good = enroll_deterministic(*e, t, 1)[0].serialize();
  struct Edit { const char* field; std::function<void(std::vector<uint8_t>&)> edit; };
  auto put16 = [](std::vector<uint8_t>& b, size_t o, uint32_t v) { detail::store_le16(b.data() + o, uint16_t(v)); };
  auto put32 = [](std::vector<uint8_t>& b, size_t o, uint32_t v) { detail::store_le32(b.data() + o, v); };
  const std::vector<Edit> edits = {
      {"'magic'", [](auto& b) { b[0] = 'X'; }},
      {"'magic'", [](auto& b) { b[3] = 'h'; }},
      {"'version'", [&](auto& b) { put16(b, 4, 3); }},
      {"'version'", [&](auto& b) { put16(b, 4, 0); }},
      {"'flags'", [&](auto& b) { put16(b, 6, 2); }},
      {"'flags'", [&](auto& b) { put16(b, 6, 0x8001); }},
      {"'m'", [&](auto& b) { put32(b, 8, 0); }},
      {"'m'", [&](auto& b) { put32(b, 8, 16385); }},
      {"'n'", [&](auto& b) { put32(b, 12, 1); }},
      {"'n'", [&](auto& b) { put32(b, 12, 16385); }},
      {"'n'", [&](auto& b) { put32(b, 12, 0xffffffffu); }},
      {"'size'", [&](auto& b) { put32(b, 12, 127); }},  // n that does not match the byte count
      {"'alpha'", [&](auto& b) { put16(b, 16, 0); }},
      {"'alpha'", [&](auto& b) { put16(b, 16, 128); }},  // α = n
      {"'alpha'", [&](auto& b) { put16(b, 16, 65); }},
      {"'alpha'", [&](auto& b) { put16(b, 16, 2); }},    // C(128, 2): 15 bits, weak
      {"'dtype'", [](auto& b) { b[18] = 2; }},
      {"'dtype'", [](auto& b) { b[18] = 0xff; }},
      {"'size'", [](auto& b) { b[18] = 1; }},            // f16 claimed for an f32-sized record
      {"'hash_alg'", [](auto& b) { b[19] = 0; }},
      {"'hash_alg'", [](auto& b) { b[19] = 1; }},       // v1's algorithm in a v2 record
      {"'samples'", [&](auto& b) { put16(b, 20, 0); }},
      {"'reserved'", [&](auto& b) { put16(b, 22, 1); }},
      {"'reserved'", [&](auto& b) { put16(b, 22, 0x8000); }},
      {"'P'", [](auto& b) { const float nan = std::numeric_limits<float>::quiet_NaN(); std::memcpy(b.data() + kH + 4 * 77, &nan, 4); }},
      {"'P'", [](auto& b) { const float inf = -std::numeric_limits<float>::infinity(); std::memcpy(b.data() + b.size() - 68, &inf, 4); }},
  };
  for (const auto& ed : edits) {
    auto b = good;
    ed.edit(b);
    reseal(b);
    const auto th = thrown_error([&] { Record::parse(b); });
    EXPECT_EQ(th.code, ErrorCode::InvalidRecord) << ed.field;
    EXPECT_NE(th.what.find(ed.field), std::string::npos) << "expected " << ed.field << " in: " << th.what;
  }
  // Without resealing, a P edit is a checksum error.
  auto b = good;
  b[500] ^= 1;
  EXPECT_NE(thrown_error([&] { Record::parse(b); }).what.find("'checksum'"), std::string::npos);
  // A weak code parses when the caller allows it.
  b = good;
  put16(b, 16, 2);
  reseal(b);
  EXPECT_NO_THROW(Record::parse(b, /*allow_weak=*/true));
}

TEST(Record, NonFiniteF16PIsNamed) {
  auto e = square_engine(64, 8, Backend::Cpu, Dtype::F16);
  const auto t = random_unit_rows(1, 64, 7);
  const auto good = enroll_deterministic(*e, t, 1)[0].serialize();
  for (uint16_t bad : {uint16_t(0x7c00), uint16_t(0xfc00), uint16_t(0x7e00), uint16_t(0x7c01)}) {
    auto b = good;
    detail::store_le16(b.data() + kH + 2 * 10, bad);
    reseal(b);
    const auto th = thrown_error([&] { Record::parse(b, true); });
    EXPECT_EQ(th.code, ErrorCode::InvalidRecord);
    EXPECT_NE(th.what.find("'P'"), std::string::npos) << th.what;
  }
  EXPECT_NE(thrown_error([&] { Record::parse(good, false); }).what.find("'alpha'"), std::string::npos)
      << "C(64, 8) is weak: refused unless allowed";
}

// ---- tampering through the engine -----------------------------------------------------------------

class RecordEngineTest : public BackendTest {};

TEST_P(RecordEngineTest, TamperedPWithRecomputedChecksumIsNeverAccepted) {
  const uint32_t n = 128;
  auto e = square_engine(n, 16, backend());
  const size_t count = 8;
  const auto t = random_unit_rows(count, n, 8);
  const auto recs = enroll_deterministic(*e, t, count);
  std::mt19937 rng(99);
  std::vector<Record> tampered;
  for (size_t i = 0; i < count; ++i) {
    auto b = recs[i].serialize();
    // Nudge a few entries of P slightly: the genuine probe still decodes to the right codeword
    // (margin 1/√α = 0.25), so the verifier matches and only the MAC can catch the change.
    for (int k = 0; k < 1 + int(i); ++k) {
      const size_t entry = rng() % (size_t(n) * n);
      float v;
      std::memcpy(&v, b.data() + kH + 4 * entry, 4);
      v += (k % 2 ? 1e-3f : -1e-3f);
      std::memcpy(b.data() + kH + 4 * entry, &v, 4);
    }
    reseal(b);
    tampered.push_back(Record::parse(b));
  }
  const auto d = e->verify(t.data(), count, tampered);
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(d[i], Decision::Tampered) << "record " << i;
  const auto kd = e->verify_and_derive(t.data(), count, tampered, "ctx");
  for (size_t i = 0; i < count; ++i) {
    EXPECT_EQ(kd[i].decision, Decision::Tampered);
    EXPECT_EQ(kd[i].key.bytes(), (std::array<uint8_t, 32>{})) << "no key for a tampered record";
  }
  for (const auto& ids : e->identify(t.data(), count, tampered)) EXPECT_TRUE(ids.empty());
  // The untouched records still accept and identify.
  for (auto x : e->verify(t.data(), count, recs)) EXPECT_EQ(x, Decision::Accept);
  const auto ids = e->identify(t.data(), count, recs);
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(ids[i], std::vector<uint32_t>{uint32_t(i)});
}

TEST_P(RecordEngineTest, TamperedHeaderOrMacIsTamperedOrRejected) {
  const uint32_t n = 128;
  auto e = square_engine(n, 16, backend());
  const auto t = random_unit_rows(1, n, 9);
  const Record r = enroll_deterministic(*e, t, 1)[0];
  auto check = [&](std::vector<uint8_t> b, Decision want, const char* what) {
    reseal(b);
    const Record q = Record::parse(b);
    EXPECT_EQ(e->verify(t.data(), 1, std::span<const Record>(&q, 1))[0], want) << what;
  };
  auto b = r.serialize();
  b[6] ^= kFlagDeterministic;  // flags are covered by the MAC
  check(b, Decision::Tampered, "flags bit 0 toggled");
  b = r.serialize();
  b[b.size() - 1] ^= 0x20;  // the MAC itself (not covered by the checksum)
  check(b, Decision::Tampered, "MAC byte flipped");
  b = r.serialize();
  b[88] ^= 1;  // salt: the verifier no longer matches
  check(b, Decision::Reject, "salt changed");
  b = r.serialize();
  b[104] ^= 1;  // verifier
  check(b, Decision::Reject, "verifier changed");
  b = r.serialize();
  b[20] ^= 2;  // samples (3 instead of 1): covered by the root, so by the MAC
  check(b, Decision::Tampered, "samples changed");
}

TEST_P(RecordEngineTest, WrongParametersAreMismatch) {
  auto e128 = square_engine(128, 16, backend());
  const auto t = random_unit_rows(2, 128, 10);
  const auto recs = enroll_deterministic(*e128, t, 2);
  auto e128a20 = square_engine(128, 20, backend());
  auto th = thrown_error([&] { e128a20->verify(t.data(), 2, recs); });
  EXPECT_EQ(th.code, ErrorCode::Mismatch);
  EXPECT_NE(th.what.find("record 0"), std::string::npos) << th.what;
  EXPECT_NE(th.what.find("alpha=16"), std::string::npos) << th.what;
  auto e64 = square_engine(64, 8, backend());
  const auto t64 = random_unit_rows(2, 64, 10);
  EXPECT_EQ(thrown_error([&] { e64->verify(t64.data(), 2, recs); }).code, ErrorCode::Mismatch);
  EXPECT_EQ(thrown_error([&] { e64->identify(t64.data(), 2, recs); }).code, ErrorCode::Mismatch);
  EXPECT_EQ(thrown_error([&] { e64->verify_and_derive(t64.data(), 2, recs, "x"); }).code, ErrorCode::Mismatch);
  // A mismatch in the second record is reported with its index.
  std::vector<Record> mixed = {recs[0], enroll_deterministic(*e128a20, t, 1)[0]};
  th = thrown_error([&] { e128->verify(t.data(), 2, mixed); });
  EXPECT_EQ(th.code, ErrorCode::Mismatch);
  EXPECT_NE(th.what.find("record 1"), std::string::npos) << th.what;
  // A record claiming an expander or application key this engine does not have.
  Record other = recs[0];
  other.expander_id[0] = 1;
  EXPECT_EQ(thrown_error([&] { e128->verify(t.data(), 1, std::span<const Record>(&other, 1)); }).code, ErrorCode::Mismatch);
  other = recs[0];
  other.app_id[31] = 1;
  EXPECT_EQ(thrown_error([&] { e128->verify(t.data(), 1, std::span<const Record>(&other, 1)); }).code, ErrorCode::Mismatch);
  // Count mismatch between probes and records.
  EXPECT_EQ(thrown_error([&] { e128->verify(t.data(), 1, recs); }).code, ErrorCode::InvalidArgument);
}

// Mixed f32/f16 records in one call are each verified with their own dtype.
TEST_P(RecordEngineTest, MixedDtypesInOneCall) {
  auto e32 = square_engine(128, 16, backend(), Dtype::F32);
  auto e16 = square_engine(128, 16, backend(), Dtype::F16);
  const auto t = random_unit_rows(4, 128, 11);
  const auto r32 = enroll_deterministic(*e32, t, 4);
  const auto r16 = enroll_deterministic(*e16, t, 4, 100);
  std::vector<Record> mixed = {r32[0], r16[1], r32[2], r16[3]};
  for (auto x : e32->verify(t.data(), 4, mixed)) EXPECT_EQ(x, Decision::Accept);
  std::vector<Record> swapped = {r32[1], r16[0], r32[3], r16[2]};
  for (auto x : e16->verify(t.data(), 4, swapped)) EXPECT_EQ(x, Decision::Reject);
}

INSTANTIATE_BACKENDS(RecordEngineTest);

}  // namespace
}  // namespace spheremask
