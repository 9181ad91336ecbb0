// Verification straight from serialized records (Engine::verify_serialized, format's streaming parse):
// the streaming parse validates exactly as Record::parse does (every chunk-boundary size, truncation,
// checksum, finiteness) and hands over every byte of P once, in order; verification from bytes gives
// the same decisions as parse + verify for genuine, impostor, tampered and v1 records, f32 and f16, rows
// that straddle chunks, and input bytes that are not aligned for f32.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "crypto/keyflow.hpp"
#include "format/record_batch.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/error.hpp"
#include "spheremask/record.hpp"
#include "support/backends.hpp"
#include "support/record_reseal.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

struct Thrown { ErrorCode code = ErrorCode(0); std::string what; };
Thrown thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

// A v2 record with seeded finite P (no engine: only the format is under test).
std::vector<uint8_t> synthetic_record(uint32_t n, Dtype d, uint32_t seed) {
  Record r;
  r.m = r.n = n;
  r.alpha = 1;
  r.dtype = d;
  r.p.resize(r.p_bytes());
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t e = 0; e < size_t(n) * n; ++e) {
    if (d == Dtype::F32) {
      const float v = u(rng);
      std::memcpy(r.p.data() + 4 * e, &v, 4);
    } else {
      const uint16_t h = detail::float_to_half(u(rng));
      std::memcpy(r.p.data() + 2 * e, &h, 2);
    }
  }
  r.update_digests();
  return r.serialize();
}

// Streams b, checking the runs tile P in order; returns the record and the concatenated runs.
Record stream(std::span<const uint8_t> b, std::vector<uint8_t>* seen) {
  return internal::parse_record_streaming(b, true, [&](const Record& fields, size_t offset, std::span<const uint8_t> run) {
    EXPECT_EQ(offset, seen->size());
    EXPECT_EQ(fields.p_bytes() - offset >= run.size(), true);
    seen->insert(seen->end(), run.begin(), run.end());
  });
}

TEST(StreamingParse, AgreesWithParseAtEveryChunkBoundaryCase) {
  // P sizes below, at and across 16 KiB multiples: n = 64 f32 is exactly one chunk, 90 f16 = 16200 bytes,
  // 91 f16 just over one chunk, 128 f32 four chunks, 300 f32 rows that straddle chunks.
  for (Dtype d : {Dtype::F32, Dtype::F16})
    for (uint32_t n : {2u, 3u, 63u, 64u, 65u, 90u, 91u, 128u, 181u, 300u}) {
      const auto b = synthetic_record(n, d, n);
      const Record want = Record::parse(b, true);
      std::vector<uint8_t> seen;
      const Record got = stream(b, &seen);
      const std::string at = "n=" + std::to_string(n) + (d == Dtype::F16 ? " f16" : " f32");
      EXPECT_EQ(seen, want.p) << at;
      EXPECT_TRUE(got.p.empty()) << at << ": P is not copied";
      EXPECT_EQ(got.p_digests, want.p_digests) << at;
      EXPECT_EQ(got.header(), want.header()) << at;
      EXPECT_EQ(got.mac, want.mac) << at;
      EXPECT_EQ(got.checksum(), want.checksum()) << at;
      // Truncated at every chunk boundary of P (and one byte short): the same named size error.
      for (size_t cut = kRecordHeaderSizeV2; cut <= b.size(); cut += kRecordChunkBytes) {
        const std::span<const uint8_t> part(b.data(), cut == b.size() ? cut - 1 : cut);
        const auto a = thrown([&] { Record::parse(part, true); });
        const auto s = thrown([&] { std::vector<uint8_t> x; stream(part, &x); });
        EXPECT_EQ(s.code, ErrorCode::InvalidRecord) << at << " cut " << cut;
        EXPECT_EQ(s.what, a.what) << at << " cut " << cut;
        EXPECT_NE(s.what.find("'size'"), std::string::npos) << s.what;
      }
    }
}

TEST(StreamingParse, CorruptionAndNonFiniteAreNamedAsByParse) {
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    const uint32_t n = 200;  // P: 10 chunks in f32, 5 in f16
    const auto good = synthetic_record(n, d, 5);
    const size_t elem = dtype_size(d);
    // A byte of P in the last chunk flipped: checksum mismatch.
    auto bad = good;
    bad[bad.size() - kRecordTrailerSize - 3] ^= 0x10;
    std::vector<uint8_t> seen;
    auto s = thrown([&] { stream(bad, &seen); });
    EXPECT_EQ(s.code, ErrorCode::InvalidRecord);
    EXPECT_EQ(s.what, thrown([&] { Record::parse(bad, true); }).what);
    EXPECT_NE(s.what.find("'checksum'"), std::string::npos) << s.what;
    // A non-finite entry in the third chunk, checksum recomputed: P is named with the entry's index.
    bad = good;
    const size_t entry = (2 * kRecordChunkBytes + 100) / elem;
    if (d == Dtype::F32) {
      const uint32_t inf = 0x7f800000u;
      std::memcpy(bad.data() + kRecordHeaderSizeV2 + 4 * entry, &inf, 4);
    } else {
      const uint16_t nan = 0x7e00u;
      std::memcpy(bad.data() + kRecordHeaderSizeV2 + 2 * entry, &nan, 2);
    }
    reseal_v2(bad);
    seen.clear();
    s = thrown([&] { stream(bad, &seen); });
    EXPECT_EQ(s.code, ErrorCode::InvalidRecord);
    EXPECT_NE(s.what.find("'P': non-finite entry at index " + std::to_string(entry)), std::string::npos) << s.what;
  }
}

std::unique_ptr<Engine> engine_for(uint32_t n, Dtype d, Backend b, int threads = 1) {
  Params p;
  p.m = p.n = n;
  p.alpha = 16;
  p.dtype = d;
  EngineOptions o;
  o.threads = threads;
  return make_engine(p, b, o);
}

std::vector<std::span<const uint8_t>> views_of(const std::vector<std::vector<uint8_t>>& blobs) {
  return {blobs.begin(), blobs.end()};
}

std::vector<Decision> parse_then_verify(Engine& e, const float* probes, const std::vector<std::vector<uint8_t>>& blobs) {
  std::vector<Record> records;
  for (const auto& b : blobs) records.push_back(Record::parse(b));
  return e.verify(probes, records.size(), records);
}

// The v1 twin of a v2 record (same fields and P, MAC over header ‖ P under the codeword's MAC key).
std::vector<uint8_t> v1_twin(const Record& v2, uint64_t index) {
  const auto kc = keyflow::deterministic_key("c", golden_seed(), index);
  detail::Codeword c;
  detail::sample_codeword(kc.data(), v2.n, v2.alpha, &c);
  Record r = v2;
  r.version = kRecordVersion1;
  r.hash_alg = kHashSha256;
  r.p_digests.clear();
  r.mac = keyflow::record_mac(keyflow::mac_key(r.salt.data(), c), r);
  return r.serialize();
}

class VerifySerializedTest : public BackendTest {};

// Per record: genuine, impostor, P nudged below the decoding margin with the checksum recomputed (only
// the MAC notices), MAC flipped, salt changed, and the v1 twin of a genuine record.
TEST_P(VerifySerializedTest, SameDecisionsAsParseThenVerify) {
  for (Dtype d : {Dtype::F32, Dtype::F16})
    for (uint32_t n : {128u, 300u}) {  // 300 f32: 1200-byte rows straddle the 16 KiB chunks
      for (int threads : {1, 2}) {
        auto e = engine_for(n, d, backend(), threads);
        const size_t count = 6;
        const auto t = random_unit_rows(count, n, 40 + n);
        EnrollOptions eo;
        eo.insecure_seed = golden_seed();
        const auto recs = e->enroll(t.data(), count, eo);
        std::vector<std::vector<uint8_t>> blobs;
        for (const auto& r : recs) blobs.push_back(r.serialize());
        std::vector<float> probes = t;
        const auto other = random_unit_rows(1, n, 7);
        std::copy(other.begin(), other.end(), probes.begin() + 1 * n);  // record 1: impostor
        const size_t h = kRecordHeaderSizeV2;
        if (d == Dtype::F32) {  // record 2: P nudged, resealed
          float v;
          std::memcpy(&v, blobs[2].data() + h + 4 * 777, 4);
          v += 1e-3f;
          std::memcpy(blobs[2].data() + h + 4 * 777, &v, 4);
        } else {
          blobs[2][h + 2 * 777] ^= 0x01;  // lowest mantissa bit of an f16 entry
        }
        reseal_v2(blobs[2]);
        blobs[3][blobs[3].size() - 1] ^= 0x20;  // record 3: MAC byte
        blobs[4][88] ^= 0x01;                    // record 4: salt (verifier no longer matches)
        reseal_v2(blobs[4]);
        blobs[5] = v1_twin(recs[5], 5);          // record 5: v1
        const auto want = parse_then_verify(*e, probes.data(), blobs);
        const std::vector<Decision> expected = {Decision::Accept, Decision::Reject, Decision::Tampered,
                                                Decision::Tampered, Decision::Reject, Decision::Accept};
        const std::string at = "n=" + std::to_string(n) + (d == Dtype::F16 ? " f16" : " f32") +
                               " threads=" + std::to_string(threads);
        EXPECT_EQ(want, expected) << at;
        EXPECT_EQ(e->verify_serialized(probes.data(), count, views_of(blobs)), want) << at;
        // The same bytes at an address that is not aligned for f32.
        std::vector<std::vector<uint8_t>> shifted_store;
        std::vector<std::span<const uint8_t>> shifted;
        for (const auto& b : blobs) {
          shifted_store.emplace_back(b.size() + 1);
          std::memcpy(shifted_store.back().data() + 1, b.data(), b.size());
        }
        for (size_t i = 0; i < count; ++i) shifted.emplace_back(shifted_store[i].data() + 1, blobs[i].size());
        EXPECT_EQ(e->verify_serialized(probes.data(), count, shifted), want) << at << " unaligned";
      }
    }
}

TEST_P(VerifySerializedTest, BadRecordsAreNamedErrors) {
  const uint32_t n = 128;
  auto e = engine_for(n, Dtype::F32, backend());
  const auto t = random_unit_rows(3, n, 50);
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  std::vector<std::vector<uint8_t>> blobs;
  for (const auto& r : e->enroll(t.data(), 3, eo)) blobs.push_back(r.serialize());
  // A corrupted P byte (checksum not recomputed) in record 2, then also in record 1: the first is named.
  auto bad = blobs;
  bad[2][kRecordHeaderSizeV2 + 40000] ^= 0x04;
  auto th = thrown([&] { e->verify_serialized(t.data(), 3, views_of(bad)); });
  EXPECT_EQ(th.code, ErrorCode::InvalidRecord);
  EXPECT_EQ(th.what.rfind("record 2: ", 0), 0u) << th.what;
  EXPECT_NE(th.what.find("'checksum'"), std::string::npos) << th.what;
  bad[1].pop_back();
  th = thrown([&] { e->verify_serialized(t.data(), 3, views_of(bad)); });
  EXPECT_EQ(th.code, ErrorCode::InvalidRecord);
  EXPECT_EQ(th.what.rfind("record 1: ", 0), 0u) << th.what;
  EXPECT_NE(th.what.find("'size'"), std::string::npos) << th.what;
  // Records of another configuration: Mismatch, as verify.
  auto e256 = engine_for(256, Dtype::F32, backend());
  const auto t256 = random_unit_rows(3, 256, 51);
  th = thrown([&] { e256->verify_serialized(t256.data(), 3, views_of(blobs)); });
  EXPECT_EQ(th.code, ErrorCode::Mismatch) << th.what;
  EXPECT_EQ(th.what.rfind("record 0: ", 0), 0u) << th.what;
  // Counts that disagree.
  EXPECT_EQ(thrown([&] { e->verify_serialized(t.data(), 2, views_of(blobs)); }).code, ErrorCode::InvalidArgument);
  // Untouched, all accept.
  for (auto x : e->verify_serialized(t.data(), 3, views_of(blobs))) EXPECT_EQ(x, Decision::Accept);
}

INSTANTIATE_BACKENDS(VerifySerializedTest);

}  // namespace
}  // namespace spheremask
