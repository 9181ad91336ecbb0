// Lower-case hexadecimal of bytes (identifiers in files, JSON and the CLI's output).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace spheremask::internal {

inline std::string to_hex(const uint8_t* p, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kDigits[p[i] >> 4];
    s[2 * i + 1] = kDigits[p[i] & 15];
  }
  return s;
}

}  // namespace spheremask::internal
