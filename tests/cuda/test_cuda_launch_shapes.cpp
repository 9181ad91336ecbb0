// CPU checks of the plain-C++ logic the CUDA kernels are built on (index maps, chunking, the parallel
// top-α selection): they run on every machine, with or without a GPU, so these names carry no "Cuda".
#include <gtest/gtest.h>

#include <limits>
#include <random>
#include <set>
#include <vector>

#include "cuda/core/launch_shapes.hpp"
#include "cuda/decode/top_alpha.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/gaussian.hpp"

namespace spheremask {
namespace {

using cuda::householder_slot;
using cuda::kNoSlot;

// The fill kernel's map sends exactly the elements haar_cpu.cpp reads to the places it reads them from.
TEST(DeviceLogic, HouseholderSlotsMatchCpuLayout) {
  for (uint32_t n : {2u, 3u, 7u, 32u, 33u, 64u}) {
    std::set<uint64_t> expected;
    for (uint32_t k = 0; k + 1 < n; ++k)
      for (uint32_t j = 0; j < n - k; ++j) {
        const uint64_t e = uint64_t(k) * n + j;
        EXPECT_EQ(householder_slot(e, n), uint64_t(k) * n + k + j) << "n=" << n << " e=" << e;  // row k+j of column k
        expected.insert(e);
      }
    const uint64_t sign_e = uint64_t(n - 1) * n;
    EXPECT_EQ(householder_slot(sign_e, n), uint64_t(n - 1) * n + (n - 1));
    expected.insert(sign_e);
    EXPECT_EQ(cuda::householder_stream_elements(n), sign_e + 1);
    const uint64_t covered = cuda::householder_stream_blocks(n) * 16;
    EXPECT_GE(covered, sign_e + 1);
    std::set<uint64_t> used_slots;
    for (uint64_t e = 0; e < covered; ++e) {
      const uint64_t s = householder_slot(e, n);
      EXPECT_EQ(s != kNoSlot, expected.count(e) == 1) << "n=" << n << " e=" << e;
      if (s != kNoSlot) {
        EXPECT_LT(s, uint64_t(n) * n);
        EXPECT_TRUE(used_slots.insert(s).second) << "two elements share slot " << s;
      }
    }
  }
}

TEST(DeviceLogic, ChunkSizing) {
  EXPECT_EQ(cuda::items_per_chunk(1000, 100, 100, 50, 1000, 1.0), 9u);
  EXPECT_EQ(cuda::items_per_chunk(1000, 100, 100, 5, 1000, 1.0), 5u);
  EXPECT_EQ(cuda::items_per_chunk(1000, 100, 100, 50, 3, 1.0), 3u);
  EXPECT_EQ(cuda::items_per_chunk(1000, 1000, 100, 50, 1000, 1.0), 0u);
  EXPECT_EQ(cuda::items_per_chunk(1000, 100, 1000, 50, 1000, 1.0), 0u);
  EXPECT_EQ(cuda::identify_probe_block(10, 512), 10u);
  EXPECT_EQ(cuda::identify_probe_block(100000, 512), 512u);
  EXPECT_EQ(cuda::identify_probe_block(100000, 8), 64u);
  EXPECT_EQ(cuda::ceil_div(33, 32), 2u);
  EXPECT_EQ(cuda::ceil_div(32, 32), 1u);
}

// The decode kernel's selection, emulated thread by thread: `threads` strided candidates per round,
// reduced with ranked_better, α rounds; must equal detail::decode_codeword.
bool emulate_block_decode(const std::vector<float>& y, uint32_t alpha, uint32_t threads, detail::Codeword* c) {
  const uint32_t n = uint32_t(y.size());
  for (float v : y)
    if (!detail::finite_float(v)) return false;
  std::vector<uint32_t> selected(alpha);
  cuda::Ranked previous = cuda::ranked_before_all();
  for (uint32_t round = 0; round < alpha; ++round) {
    cuda::Ranked best = cuda::ranked_none();
    for (uint32_t t = 0; t < threads; ++t) {
      const cuda::Ranked mine = cuda::best_after(y.data(), n, t, threads, previous);
      if (cuda::ranked_better(mine, best)) best = mine;
    }
    selected[round] = best.index;
    previous = best;
  }
  detail::codeword_from_indices(y.data(), n, alpha, selected.data(), c);
  return true;
}

void expect_same(const detail::Codeword& a, const detail::Codeword& b) {
  ASSERT_EQ(a.n, b.n);
  ASSERT_EQ(a.alpha, b.alpha);
  for (uint32_t k = 0; k < a.alpha; ++k) {
    EXPECT_EQ(a.index[k], b.index[k]) << "k=" << k;
    EXPECT_EQ(a.negative[k], b.negative[k]) << "k=" << k;
  }
}

TEST(DeviceLogic, GridStrideBlocksCoverTheElementsUpToTheCap) {
  EXPECT_EQ(cuda::grid_stride_blocks(1, 256), 1u);
  EXPECT_EQ(cuda::grid_stride_blocks(256, 256), 1u);
  EXPECT_EQ(cuda::grid_stride_blocks(257, 256), 2u);
  EXPECT_EQ(cuda::grid_stride_blocks(uint64_t(cuda::kMaxGridStrideBlocks) * 256, 256), cuda::kMaxGridStrideBlocks);
  // An n×n matrix at the largest n (16384) needs a few more blocks than the cap; the grid-stride loop
  // covers the rest, and a huge count is capped rather than truncated to 32 bits.
  EXPECT_EQ(cuda::grid_stride_blocks(uint64_t(16384) * 16384, 256), cuda::kMaxGridStrideBlocks);
  EXPECT_EQ(cuda::grid_stride_blocks(uint64_t(16384) * 16384 - 256 * 17, 256), cuda::kMaxGridStrideBlocks - 1);
  EXPECT_EQ(cuda::grid_stride_blocks(uint64_t(1) << 40, 256), cuda::kMaxGridStrideBlocks);
}

TEST(DeviceLogic, ParallelTopAlphaEqualsSerialDecode) {
  std::mt19937 rng(7);  // non-secret test data
  std::uniform_int_distribution<int> level(-6, 6);
  for (int trial = 0; trial < 60; ++trial) {
    const uint32_t n = 64 + 37 * trial;
    const uint32_t alpha = 1 + trial % 64;
    std::vector<float> y(n);
    for (auto& v : y) v = float(level(rng)) / 4.0f;  // many exact ties, ±0
    if (trial % 5 == 0) y[trial % n] = -0.0f;
    detail::Codeword serial, parallel;
    ASSERT_TRUE(detail::decode_codeword(y.data(), n, alpha, &serial));
    for (uint32_t threads : {1u, 32u, 256u}) {
      ASSERT_TRUE(emulate_block_decode(y, alpha, threads, &parallel));
      expect_same(serial, parallel);
    }
  }
}

TEST(DeviceLogic, ParallelTopAlphaGoldenTies) {
  const std::vector<float> y = {0.5f, -0.5f, 0.25f, -0.25f, 0.5f, 0.0f, -0.0f, 0.1f};
  detail::Codeword c;
  ASSERT_TRUE(emulate_block_decode(y, 3, 4, &c));
  EXPECT_EQ(c.index[0], 0u);
  EXPECT_EQ(c.index[1], 1u);
  EXPECT_EQ(c.index[2], 4u);
  EXPECT_EQ(c.negative[0], 0);
  EXPECT_EQ(c.negative[1], 1);
  EXPECT_EQ(c.negative[2], 0);
  const std::vector<float> zeros = {0.0f, -0.0f, 0.0f};
  ASSERT_TRUE(emulate_block_decode(zeros, 2, 2, &c));
  EXPECT_EQ(c.index[0], 0u);
  EXPECT_EQ(c.index[1], 1u);
  EXPECT_EQ(c.negative[0], 0);
  EXPECT_EQ(c.negative[1], 0);  // −0.0 decodes as +
  std::vector<float> with_nan = y;
  with_nan[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(emulate_block_decode(with_nan, 3, 4, &c));
}

// The device verifier digest (shared detail::Sha256) equals the host library's (OpenSSL).
TEST(DeviceLogic, VerifierDigestMatchesHost) {
  detail::Codeword c;
  uint8_t key[32];
  for (int i = 0; i < 32; ++i) key[i] = uint8_t(3 * i + 1);
  const uint8_t salt[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  for (uint32_t alpha : {1u, 8u, 16u, 63u, 64u}) {
    detail::sample_codeword(key, 4096, alpha, &c);
    uint8_t device_style[32];
    cuda::verifier_digest(salt, c, device_style);
    const auto host = keyflow::verifier(salt, c);
    EXPECT_TRUE(cuda::equal_ct32(device_style, host.data())) << "alpha=" << alpha;
    device_style[31] ^= 1;
    EXPECT_FALSE(cuda::equal_ct32(device_style, host.data()));
  }
}

}  // namespace
}  // namespace spheremask
