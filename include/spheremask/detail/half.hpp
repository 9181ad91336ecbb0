// IEEE binary16 conversions (round to nearest even) shared by host and device, so f16 records are
// the same bytes whichever backend wrote them from the same f32 values.
#pragma once
#include <cstdint>
#include "spheremask/detail/bytes.hpp"

namespace spheremask::detail {

SM_HD inline uint16_t float_to_half(float f) {
  const uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return uint16_t(sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u));
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to infinity
  if (abs < 0x38800000u) {                                   // subnormal or zero in half
    if (abs < 0x33000000u) return uint16_t(sign);
    const uint32_t e = abs >> 23;
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - e;  // 14..24
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
    return uint16_t(sign | h);
  }
  uint32_t h = ((abs - 0x38000000u) >> 13);
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return uint16_t(sign | h);
}

SM_HD inline float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (e == 0) {
    if (mant == 0) return bits_float(sign);
    int shift = 0;
    while ((mant & 0x400u) == 0) { mant <<= 1; ++shift; }
    mant &= 0x3ffu;
    return bits_float(sign | (uint32_t(113 - shift) << 23) | (mant << 13));
  }
  if (e == 31) return bits_float(sign | 0x7f800000u | (mant << 13));
  return bits_float(sign | ((e + 112) << 23) | (mant << 13));
}

}  // namespace spheremask::detail
