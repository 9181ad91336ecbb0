// Bytes of numbers, on the host and in kernels alike: little-endian integers in byte buffers (every file
// format, key derivation and stream reads and writes them through these, whatever the host's byte order),
// the bits of a float, and the finite test on those bits.
#pragma once
#include <cstdint>
#include "spheremask/detail/hd.hpp"

namespace spheremask::detail {

SM_HD inline uint16_t load_le16(const uint8_t* p) { return uint16_t(p[0] | (uint16_t(p[1]) << 8)); }
SM_HD inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
SM_HD inline uint64_t load_le64(const uint8_t* p) { return uint64_t(load_le32(p)) | (uint64_t(load_le32(p + 4)) << 32); }

SM_HD inline void store_le16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); }
SM_HD inline void store_le32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16); p[3] = uint8_t(v >> 24);
}
SM_HD inline void store_le64(uint8_t* p, uint64_t v) { store_le32(p, uint32_t(v)); store_le32(p + 4, uint32_t(v >> 32)); }

// The object representation of from as a To of the same size (std::bit_cast, which device code lacks).
template <class To, class From>
SM_HD inline To bit_copy(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bit_copy between types of different sizes");
  To to;
  const unsigned char* s = reinterpret_cast<const unsigned char*>(&from);
  unsigned char* d = reinterpret_cast<unsigned char*>(&to);
  for (unsigned i = 0; i < sizeof(To); ++i) d[i] = s[i];
  return to;
}

SM_HD inline uint32_t float_bits(float f) { return bit_copy<uint32_t>(f); }
SM_HD inline float bits_float(uint32_t u) { return bit_copy<float>(u); }

// Exponent bits all ones means Inf or NaN; avoids depending on std::isfinite in device code.
SM_HD inline bool finite_float(float v) { return (float_bits(v) & 0x7f800000u) != 0x7f800000u; }

}  // namespace spheremask::detail
