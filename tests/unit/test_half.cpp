// IEEE binary16 conversions used for f16 records: known bit patterns, round to nearest even, every
// half value, and agreement with the compiler's _Float16 conversions.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "spheremask/detail/half.hpp"

namespace spheremask {
namespace {

using detail::bits_float;
using detail::float_to_half;
using detail::half_to_float;

TEST(Half, KnownBitPatterns) {
  struct { float f; uint16_t h; } cases[] = {
      {0.0f, 0x0000}, {-0.0f, 0x8000}, {1.0f, 0x3c00}, {-2.0f, 0xc000}, {0.5f, 0x3800},
      {65504.0f, 0x7bff},                       // largest finite half
      {6.103515625e-05f, 0x0400},               // 2^-14, smallest normal
      {5.9604644775390625e-08f, 0x0001},        // 2^-24, smallest subnormal
      {0.1f, 0x2e66}, {1.0f / 3.0f, 0x3555}, {3.140625f, 0x4248}, {-1.5f, 0xbe00},
      {std::numeric_limits<float>::infinity(), 0x7c00}, {-std::numeric_limits<float>::infinity(), 0xfc00},
      {65520.0f, 0x7c00},                       // halfway to 65536: ties to even = infinity
      {65519.99f, 0x7bff},
      {1e6f, 0x7c00},
      {2.98023223876953125e-08f, 0x0000},       // 2^-25: halfway to the smallest subnormal, ties to even = 0
      {2.9802326e-08f, 0x0001},                 // just above 2^-25
      {1.0f + 1.0f / 2048, 0x3c00},             // halfway between 0x3c00 and 0x3c01: even is 0x3c00
      {1.0f + 3.0f / 2048, 0x3c02},             // halfway between 0x3c01 and 0x3c02: even is 0x3c02
      {1e-10f, 0x0000}, {-1e-10f, 0x8000},
  };
  for (const auto& c : cases) EXPECT_EQ(float_to_half(c.f), c.h) << "f = " << c.f;
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), 5.9604644775390625e-08f);
  EXPECT_EQ(half_to_float(0x03ff), 6.097555160522461e-05f);  // largest subnormal
  EXPECT_TRUE(std::signbit(half_to_float(0x8000)));
  EXPECT_EQ(half_to_float(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(half_to_float(0x7e00)));
  EXPECT_EQ(float_to_half(std::numeric_limits<float>::quiet_NaN()), 0x7e00);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::quiet_NaN()) & 0x7fff, 0x7e00);
}

// Every one of the 65536 halves converts to float and back unchanged (NaNs stay NaN).
TEST(Half, AllHalvesRoundTrip) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(uint16_t(h));
    const bool is_nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
    if (is_nan) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << h;
      ASSERT_EQ(float_to_half(f) & 0x7c00, 0x7c00) << std::hex << h;
      ASSERT_NE(float_to_half(f) & 0x3ff, 0) << std::hex << h;
    } else {
      ASSERT_EQ(float_to_half(f), h) << std::hex << h;
#ifdef __FLT16_MAX__  // the compiler has _Float16 (gcc 12; clang only from 15 on x86-64)
      ASSERT_EQ(f, float(static_cast<_Float16>(std::bit_cast<_Float16>(uint16_t(h))))) << std::hex << h;
#endif
    }
  }
}

// Rounding of arbitrary floats agrees with the compiler's correctly rounded conversion: random bit
// patterns across the whole range, and every float near each half boundary.
TEST(Half, MatchesCompilerFloat16Rounding) {
#ifndef __FLT16_MAX__
  GTEST_SKIP() << "this compiler has no _Float16 to compare with (clang before 15 on x86-64)";
#else
  auto check = [](float f) {
    if (std::isnan(f)) return;
    const uint16_t want = std::bit_cast<uint16_t>(static_cast<_Float16>(f));
    ASSERT_EQ(float_to_half(f), want) << "f = " << f << " bits " << std::hex << detail::float_bits(f);
  };
  std::mt19937 rng(9);
  for (int i = 0; i < 2000000; ++i) check(bits_float(rng()));
  // Floats within a few ulps of every half and of every midpoint between neighbouring halves.
  for (uint32_t h = 0; h < 0x7c00; ++h) {
    const float a = half_to_float(uint16_t(h)), b = half_to_float(uint16_t(h + 1));
    const float mid = a + (b - a) / 2;
    for (float x : {a, mid, b}) {
      float y = x;
      for (int k = 0; k < 3; ++k) y = std::nextafter(y, 0.0f);
      for (int k = 0; k < 7; ++k, y = std::nextafter(y, std::numeric_limits<float>::infinity())) {
        check(y);
        check(-y);
      }
    }
  }
#endif
}

}  // namespace
}  // namespace spheremask
