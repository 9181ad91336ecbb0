// Multi-message SHA-256 / HMAC (four messages interleaved on the SHA extensions) held to OpenSSL:
// every padding boundary, parts split anywhere (including across blocks and empty parts), unequal
// lengths in one call so lanes finish and refill at different steps, and 1 MiB records.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <random>
#include <vector>

#include "sha256_lanes.hpp"
#include "test_util.hpp"

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
  for (HashImpl impl : {HashImpl::Best, HashImpl::Portable}) {
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
  for (size_t count = 1; count <= 11; ++count) {
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
  for (HashImpl impl : {HashImpl::Best, HashImpl::Portable}) {
    std::vector<crypto::Digest> out(jobs.size());
    crypto::hmac_sha256_many(jobs, out.data(), impl);
    for (size_t i = 0; i < jobs.size(); ++i)
      ASSERT_EQ(to_hex(out[i]), to_hex(openssl_hmac(keys[i].data(), msgs[i]))) << "length " << msgs[i].size();
  }
}

}  // namespace
}  // namespace spheremask
