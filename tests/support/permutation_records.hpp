// Exact records for cross-backend decode tests: P is a permutation matrix, P[i][perm[i]] = 1, so
// y = P·t has y[i] = t[perm[i]] with no rounding in f32 or f16. A shuffled perm is not symmetric, so a
// backend that multiplies by Pᵀ (a swapped row/column-major operand) decodes a different codeword.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/params.hpp"

namespace spheremask::testing {

struct PermutationRecords {
  uint32_t n;
  std::vector<uint32_t> perm;
  std::vector<float> p32;
  std::vector<uint16_t> p16;

  PermutationRecords(uint32_t n_, uint32_t shuffle_seed) : n(n_), perm(n_), p32(size_t(n_) * n_, 0.0f), p16(p32.size(), 0) {
    std::iota(perm.begin(), perm.end(), 0u);
    std::mt19937 rng(shuffle_seed);  // non-secret test data
    std::shuffle(perm.begin(), perm.end(), rng);
    for (uint32_t i = 0; i < n; ++i) {
      p32[size_t(i) * n + perm[i]] = 1.0f;
      p16[size_t(i) * n + perm[i]] = detail::float_to_half(1.0f);
    }
  }
  const uint8_t* p(Dtype d) const {
    return d == Dtype::F32 ? reinterpret_cast<const uint8_t*>(p32.data()) : reinterpret_cast<const uint8_t*>(p16.data());
  }
  // Rows t with P·t = y row by row (t[perm[i]] = y[i]).
  std::vector<float> probes_for(const std::vector<float>& y) const {
    std::vector<float> t(y.size());
    for (size_t row = 0; row < y.size() / n; ++row)
      for (uint32_t i = 0; i < n; ++i) t[row * n + perm[i]] = y[row * n + i];
    return t;
  }
};

inline void expect_codeword(const detail::Codeword& got, const detail::Codeword& want) {
  ASSERT_EQ(got.alpha, want.alpha);
  ASSERT_EQ(got.n, want.n);
  for (uint32_t k = 0; k < want.alpha; ++k) {
    EXPECT_EQ(got.index[k], want.index[k]) << k;
    EXPECT_EQ(got.negative[k], want.negative[k]) << k;
  }
}

}  // namespace spheremask::testing
