// Hexadecimal of bytes: lower-case out (identifiers in files, JSON and the CLI's output), and the strict
// parse every reader of hex text uses (keys, seeds, manifests, test vectors).
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

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

inline std::string to_hex(std::span<const uint8_t> bytes) { return to_hex(bytes.data(), bytes.size()); }

enum class HexDigits { Any, LowerOnly };

// The value of one hex digit, or −1 for any other character.
inline int hex_digit_value(char c, HexDigits accept = HexDigits::Any) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (accept == HexDigits::Any && c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes text of exactly 2·out.size() hex digits into out. Returns false (out unspecified) on another
// length or any non-digit; the callers turn that into their own error naming the field.
inline bool from_hex(std::string_view text, std::span<uint8_t> out, HexDigits accept = HexDigits::Any) {
  if (text.size() != 2 * out.size()) return false;
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_digit_value(text[2 * i], accept), lo = hex_digit_value(text[2 * i + 1], accept);
    if (hi < 0 || lo < 0) return false;
    out[i] = uint8_t(hi << 4 | lo);
  }
  return true;
}

}  // namespace spheremask::internal
