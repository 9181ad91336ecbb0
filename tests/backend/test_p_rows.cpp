// The CPU's reading of P: f16 entries widen exactly (the hardware conversion where the CPU has it, the
// table elsewhere, both equal to detail::half_to_float for every half), and a product over a run of rows
// equals the whole-matrix product row by row, from aligned and unaligned bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/p_rows.hpp"
#include "spheremask/detail/half.hpp"

namespace spheremask {
namespace {

TEST(PRows, EveryHalfWidensExactly) {
  std::vector<uint8_t> bytes(2 * 65536 + 1);
  for (uint32_t h = 0; h < 65536; ++h) {  // at offset 1: not aligned for uint16_t
    bytes[1 + 2 * h] = uint8_t(h);
    bytes[2 + 2 * h] = uint8_t(h >> 8);
  }
  std::vector<float> scratch;
  const float* f = internal::p_as_f32(bytes.data() + 1, Dtype::F16, 65536, scratch);
  for (uint32_t h = 0; h < 65536; ++h) {
    const float want = detail::half_to_float(uint16_t(h));
    if (std::isnan(want)) {
      EXPECT_TRUE(std::isnan(f[h])) << h;
    } else {
      EXPECT_EQ(detail::float_bits(f[h]), detail::float_bits(want)) << h;
    }
  }
}

TEST(PRows, RunsOfRowsMatchTheWholeProduct) {
  const uint32_t n = 37;  // rows of 148 / 74 bytes
  std::mt19937 rng(3);
  std::normal_distribution<float> g;
  std::vector<float> t(n), p(size_t(n) * n);
  for (auto& v : t) v = g(rng);
  for (auto& v : p) v = g(rng);
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    std::vector<uint8_t> bytes(1 + p.size() * dtype_size(d));
    for (size_t e = 0; e < p.size(); ++e) {
      if (d == Dtype::F32) {
        std::memcpy(bytes.data() + 1 + 4 * e, &p[e], 4);
      } else {
        const uint16_t h = detail::float_to_half(p[e]);
        std::memcpy(bytes.data() + 1 + 2 * e, &h, 2);
      }
    }
    for (size_t shift : {size_t(0), size_t(1)}) {
      if (shift == 0) bytes.erase(bytes.begin());
      const uint8_t* base = bytes.data() + (shift == 1 ? 1 : 0);
      std::vector<float> whole(n), runs(n), scratch;
      internal::p_rows_times(base, n, n, d, t.data(), whole.data(), scratch);
      const size_t row = size_t(n) * dtype_size(d);
      for (size_t r0 = 0; r0 < n; r0 += 5)
        internal::p_rows_times(base + r0 * row, std::min<size_t>(5, n - r0), n, d, t.data(), runs.data() + r0, scratch);
      for (uint32_t i = 0; i < n; ++i) {
        double exact = 0;
        for (uint32_t j = 0; j < n; ++j)
          exact += double(d == Dtype::F32 ? p[size_t(i) * n + j]
                                          : detail::half_to_float(detail::float_to_half(p[size_t(i) * n + j]))) * t[j];
        EXPECT_NEAR(whole[i], exact, 1e-4) << "row " << i;
        EXPECT_NEAR(runs[i], whole[i], 1e-5) << "row " << i;
      }
      if (shift == 0) bytes.insert(bytes.begin(), 0);
    }
  }
}

}  // namespace
}  // namespace spheremask
