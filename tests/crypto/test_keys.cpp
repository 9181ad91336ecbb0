// Key release (DESIGN §3 "Verifier, key, MAC"): verify_and_derive gives the same key for every genuine
// probe, nothing for impostors, a different key per context, exactly HKDF(enc(c)) of the enrolled
// codeword; and a payload sealed under it reopens with a fresh genuine probe only.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "support/backends.hpp"
#include "support/expect_error.hpp"
#include "support/record_setup.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

class KeyTest : public BackendTest {
 protected:
  std::unique_ptr<Engine> engine(uint32_t n = 512, uint32_t alpha = 16) { return square_engine(n, alpha, backend()); }
};

const std::array<uint8_t, 32> kZero{};

TEST_P(KeyTest, GenuineProbesShareOneKeyImpostorsGetNothing) {
  const uint32_t n = 512;
  const size_t count = 6;
  auto e = engine();
  const auto t = random_unit_rows(count, n, 31);
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  const auto recs = e->enroll(t.data(), count, eo);
  std::mt19937 rng(32);
  std::vector<float> p1(count * n), p2(count * n);
  for (size_t i = 0; i < count; ++i) {  // two different genuine probes, 25° from the template
    auto a = at_angle(t.data() + i * n, n, 25, rng), b = at_angle(t.data() + i * n, n, 25, rng);
    std::copy(a.begin(), a.end(), p1.begin() + i * n);
    std::copy(b.begin(), b.end(), p2.begin() + i * n);
  }
  const auto k0 = e->verify_and_derive(t.data(), count, recs, "app");
  const auto k1 = e->verify_and_derive(p1.data(), count, recs, "app");
  const auto k2 = e->verify_and_derive(p2.data(), count, recs, "app");
  for (size_t i = 0; i < count; ++i) {
    ASSERT_EQ(k1[i].decision, Decision::Accept) << i;
    ASSERT_EQ(k2[i].decision, Decision::Accept) << i;
    EXPECT_NE(k1[i].key.bytes(), kZero);
    EXPECT_EQ(k1[i].key.bytes(), k2[i].key.bytes()) << "record " << i;
    EXPECT_EQ(k0[i].key.bytes(), k1[i].key.bytes()) << "record " << i;
    for (size_t j = 0; j < i; ++j) EXPECT_NE(k1[i].key.bytes(), k1[j].key.bytes()) << "records " << i << ", " << j;
  }
  // Impostors: probe i against record (i+1) mod count.
  std::vector<Record> rotated(recs.begin() + 1, recs.end());
  rotated.push_back(recs[0]);
  for (const auto& k : e->verify_and_derive(t.data(), count, rotated, "app")) {
    EXPECT_EQ(k.decision, Decision::Reject);
    EXPECT_EQ(k.key.bytes(), kZero);
  }
}

TEST_P(KeyTest, ContextsGiveIndependentKeys) {
  const uint32_t n = 128;
  auto e = engine(n, 16);
  const auto t = random_unit_rows(1, n, 33);
  const auto recs = e->enroll(t.data(), 1);
  const auto a = e->verify_and_derive(t.data(), 1, recs, "mail")[0];
  const auto b = e->verify_and_derive(t.data(), 1, recs, "disk")[0];
  const auto c = e->verify_and_derive(t.data(), 1, recs, "")[0];
  const auto a2 = e->verify_and_derive(t.data(), 1, recs, "mail")[0];
  ASSERT_EQ(a.decision, Decision::Accept);
  EXPECT_NE(a.key.bytes(), b.key.bytes());
  EXPECT_NE(a.key.bytes(), c.key.bytes());
  EXPECT_NE(b.key.bytes(), c.key.bytes());
  EXPECT_EQ(a.key.bytes(), a2.key.bytes());
  // verify() agrees with verify_and_derive's decision.
  EXPECT_EQ(e->verify(t.data(), 1, recs)[0], Decision::Accept);
}

// In deterministic mode the released key is HKDF of the codeword sampled from key_c: the engine
// releases exactly keyflow::derive_key(salt, c, context); for the golden seed it is golden.json's.
TEST_P(KeyTest, KeyIsHkdfOfTheEnrolledCodeword) {
  {
    const uint32_t n = 64;
    auto e = engine(n, 8);
    const auto kt = keyflow::deterministic_key("t", golden_seed(), 0);
    auto t = gaussian_stream(kt.data(), n);
    EnrollOptions eo;
    eo.insecure_seed = golden_seed();
    const auto recs = e->enroll(t.data(), 1, eo);
    const auto k = e->verify_and_derive(t.data(), 1, recs, "demo")[0];
    ASSERT_EQ(k.decision, Decision::Accept);
    EXPECT_EQ(to_hex(k.key.bytes()), "ab07fd3e8691f84844c0bbd02998961e2d76f7b26b0705d815fa437339c9fea8");
  }
  const uint32_t n = 512, alpha = 16;
  auto e = engine(n, alpha);
  const size_t count = 4;
  const auto t = random_unit_rows(count, n, 34);
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  eo.first_index = 1000;
  const auto recs = e->enroll(t.data(), count, eo);
  const auto keys = e->verify_and_derive(t.data(), count, recs, "ctx");
  for (size_t i = 0; i < count; ++i) {
    const auto kc = keyflow::deterministic_key("c", golden_seed(), 1000 + i);
    detail::Codeword c;
    detail::sample_codeword(kc.data(), n, alpha, &c);
    ASSERT_EQ(keys[i].decision, Decision::Accept);
    EXPECT_EQ(to_hex(keys[i].key.bytes()), to_hex(keyflow::derive_key(recs[i].salt.data(), c, "ctx")));
    EXPECT_EQ(to_hex(recs[i].verifier), to_hex(keyflow::verifier(recs[i].salt.data(), c)));
  }
}

// The list decoder hashes its candidates in batches (keyflow::verifiers on interleaved lanes): every verifier of a
// batch equals the one-at-a-time verifier, for batch sizes around the lane counts and α from 1 to 64.
TEST(Keyflow, BatchedVerifiersEqualOneByOne) {
  std::array<uint8_t, 16> salt{};
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = uint8_t(7 * i + 1);
  for (uint32_t alpha : {1u, 16u, 26u, 64u}) {
    for (size_t count : {1u, 3u, 4u, 5u, 8u, 9u, 37u}) {
      std::vector<detail::Codeword> cs(count);
      for (size_t i = 0; i < count; ++i) {
        const auto key = keyflow::deterministic_key("c", golden_seed(), 77 * alpha + i);
        detail::sample_codeword(key.data(), 512, alpha, &cs[i]);
      }
      std::vector<crypto::Digest> batched(count);
      keyflow::verifiers(salt.data(), cs, batched.data());
      for (size_t i = 0; i < count; ++i)
        EXPECT_EQ(to_hex(batched[i]), to_hex(keyflow::verifier(salt.data(), cs[i]))) << alpha << " " << count << " " << i;
    }
  }
}

// Production mode: two enrollments of the same template differ in everything secret.
TEST_P(KeyTest, RandomEnrollmentsAreFresh) {
  const uint32_t n = 128;
  auto e = engine(n, 16);
  const auto t = random_unit_rows(1, n, 35);
  const auto r1 = e->enroll(t.data(), 1)[0];
  const auto r2 = e->enroll(t.data(), 1)[0];
  EXPECT_FALSE(r1.deterministic());
  EXPECT_NE(r1.salt, r2.salt);
  EXPECT_NE(r1.verifier, r2.verifier);
  EXPECT_NE(r1.p, r2.p);
  const auto k1 = e->verify_and_derive(t.data(), 1, std::span<const Record>(&r1, 1), "x")[0];
  const auto k2 = e->verify_and_derive(t.data(), 1, std::span<const Record>(&r2, 1), "x")[0];
  EXPECT_NE(k1.key.bytes(), k2.key.bytes());
}

// The story: seal a payload with a face, reopen it with a fresh photo of the same face.
TEST_P(KeyTest, SealWithOneProbeOpenWithAnother) {
  const uint32_t n = 512;
  auto e = engine();
  const auto t = random_unit_rows(1, n, 36);
  const auto recs = e->enroll(t.data(), 1);
  const auto rec_bytes = recs[0].serialize();
  std::mt19937 rng(37);
  const auto probe1 = at_angle(t.data(), n, 20, rng), probe2 = at_angle(t.data(), n, 30, rng);
  const auto k1 = e->verify_and_derive(probe1.data(), 1, recs, "vault")[0];
  ASSERT_EQ(k1.decision, Decision::Accept);
  const std::vector<uint8_t> secret = {'h', 'e', 'l', 'l', 'o'};
  const auto sealed = seal(k1.key, secret, rec_bytes);
  const auto k2 = e->verify_and_derive(probe2.data(), 1, recs, "vault")[0];
  ASSERT_EQ(k2.decision, Decision::Accept);
  EXPECT_EQ(open_sealed(k2.key, sealed, rec_bytes), secret);
  const auto other = e->verify_and_derive(probe2.data(), 1, recs, "other")[0];
  EXPECT_ERROR_CODE(open_sealed(other.key, sealed, rec_bytes), ErrorCode::Crypto);
}

INSTANTIATE_BACKENDS(KeyTest);

}  // namespace
}  // namespace spheremask
