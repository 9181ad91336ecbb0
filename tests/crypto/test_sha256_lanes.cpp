// Multi-message SHA-256 / HMAC (four or eight messages interleaved on the SHA extensions) held to OpenSSL:
// every padding boundary, parts split anywhere (including across blocks and empty parts), unequal
// lengths in one call so lanes finish and refill at different steps, and 1 MiB records.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <random>
#include <vector>

#include "format/chunk_digests.hpp"
#include "crypto/sha256_lanes.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;
using crypto::HashImpl;

std::vector<uint8_t> random_bytes(size_t len, std::mt19937& rng) {
  std::vector<uint8_t> v(len);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

crypto::Digest openssl_sha(const std::vector<uint8_t>& m) {
  crypto::Digest d;
  SHA256(m.data(), m.size(), d.data());
  return d;
}

crypto::Digest openssl_hmac(const uint8_t* key, const std::vector<uint8_t>& m) {
  crypto::Digest d;
  unsigned len = 0;
  HMAC(EVP_sha256(), key, 32, m.data(), m.size(), d.data(), &len);
  return d;
}

// Splits each message into three parts at random points (empty parts included).
std::vector<crypto::Sha256Job> split_jobs(const std::vector<std::vector<uint8_t>>& msgs, std::mt19937& rng) {
  std::vector<crypto::Sha256Job> jobs;
  for (const auto& m : msgs) {
    size_t a = m.empty() ? 0 : rng() % (m.size() + 1), b = m.empty() ? 0 : rng() % (m.size() + 1);
    if (a > b) std::swap(a, b);
    jobs.push_back({{std::span<const uint8_t>(m.data(), a), std::span<const uint8_t>(m.data() + a, b - a),
                     std::span<const uint8_t>(m.data() + b, m.size() - b)}});
  }
  return jobs;
}

void expect_sha_matches(const std::vector<std::vector<uint8_t>>& msgs, std::mt19937& rng) {
  const auto jobs = split_jobs(msgs, rng);
  for (HashImpl impl : {HashImpl::Best, HashImpl::Portable, HashImpl::Lanes4, HashImpl::Lanes8}) {
    std::vector<crypto::Digest> out(jobs.size());
    crypto::sha256_many(jobs, out.data(), impl);
    for (size_t i = 0; i < msgs.size(); ++i)
      ASSERT_EQ(to_hex(out[i]), to_hex(openssl_sha(msgs[i]))) << "message " << i << " of length " << msgs[i].size();
  }
}

TEST(Sha256Lanes, EveryLengthTo300InOneCall) {
  crypto::sha256_many({}, nullptr);  // an empty batch touches nothing
  std::mt19937 rng(1);
  std::vector<std::vector<uint8_t>> msgs;
  for (size_t len = 0; len <= 300; ++len) msgs.push_back(random_bytes(len, rng));
  expect_sha_matches(msgs, rng);
}

TEST(Sha256Lanes, UnequalLengthsAndEveryJobCount) {
  std::mt19937 rng(2);
  for (size_t count = 1; count <= 19; ++count) {  // past two rounds of eight lanes
    std::vector<std::vector<uint8_t>> msgs;
    for (size_t i = 0; i < count; ++i) msgs.push_back(random_bytes(rng() % 5000, rng));
    expect_sha_matches(msgs, rng);
  }
}

TEST(Sha256Lanes, OneMebibyteRecords) {
  std::mt19937 rng(3);
  std::vector<std::vector<uint8_t>> msgs;
  for (size_t i = 0; i < 6; ++i) msgs.push_back(random_bytes((1u << 20) + 132 * (i % 2), rng));
  expect_sha_matches(msgs, rng);
}

TEST(Sha256Lanes, HmacMatchesOpenSsl) {
  std::mt19937 rng(4);
  std::vector<std::vector<uint8_t>> keys, msgs;
  std::vector<crypto::HmacJob> jobs;
  for (size_t len : {0, 1, 55, 56, 63, 64, 65, 132, 1000, 4096 + 132, 70000}) {
    keys.push_back(random_bytes(32, rng));
    msgs.push_back(random_bytes(len, rng));
  }
  for (size_t i = 0; i < msgs.size(); ++i) {
    const size_t cut = std::min<size_t>(132, msgs[i].size());  // header ‖ P, as a record MAC
    jobs.push_back({keys[i].data(), {msgs[i].data(), cut}, {msgs[i].data() + cut, msgs[i].size() - cut}});
  }
  for (HashImpl impl : {HashImpl::Best, HashImpl::Portable, HashImpl::Lanes4, HashImpl::Lanes8}) {
    std::vector<crypto::Digest> out(jobs.size());
    crypto::hmac_sha256_many(jobs, out.data(), impl);
    for (size_t i = 0; i < jobs.size(); ++i)
      ASSERT_EQ(to_hex(out[i]), to_hex(openssl_hmac(keys[i].data(), msgs[i]))) << "length " << msgs[i].size();
  }
}

// The v2 chunk digests: every method and thread count gives OpenSSL's SHA-256 of each 16 KiB chunk, for
// P sizes on, just under and just over chunk boundaries.
TEST(Sha256Lanes, ChunkDigestsMatchOpenSslForEveryMethod) {
  std::mt19937 rng(5);
  const size_t K = format::kChunkBytes;
  for (size_t len : {size_t(16), K - 1, K, K + 1, 3 * K, 7 * K + 4096, 8 * K, 9 * K - 2, 17 * K + 1, 70 * K + 100}) {
    const auto data = random_bytes(len, rng);
    std::vector<crypto::Digest> want;
    for (size_t off = 0; off < len; off += K)
      want.push_back(openssl_sha(std::vector<uint8_t>(data.begin() + off, data.begin() + std::min(len, off + K))));
    ASSERT_EQ(format::chunk_count(len), want.size());
    for (HashImpl impl : {HashImpl::Best, HashImpl::Portable, HashImpl::Lanes4, HashImpl::Lanes8})
      for (int threads : {0, 1, 3}) {
        std::vector<crypto::Digest> got(want.size());
        format::chunk_digests(data, got.data(), threads, impl);
        for (size_t c = 0; c < want.size(); ++c)
          ASSERT_EQ(to_hex(got[c]), to_hex(want[c])) << "length " << len << " chunk " << c << " impl "
                                                     << format::hash_impl_name(impl) << " threads " << threads;
      }
  }
  const HashImpl chosen = format::fastest_chunk_hasher();
  EXPECT_TRUE(chosen == HashImpl::Portable || (crypto::sha256_lanes_available() &&
                                               (chosen == HashImpl::Lanes4 || chosen == HashImpl::Lanes8)))
      << format::hash_impl_name(chosen);
}

}  // namespace
}  // namespace spheremask
