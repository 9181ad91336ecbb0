// The one little-endian byte helper (detail/bytes.hpp) and the one hex helper (util/hex.hpp) every
// format, key derivation and test vector goes through: known byte layouts, round trips, strict parsing.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "spheremask/detail/bytes.hpp"
#include "util/hex.hpp"

namespace spheremask {
namespace {

TEST(LittleEndian, KnownLayouts) {
  const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xf8};
  EXPECT_EQ(detail::load_le16(b), 0x0201u);
  EXPECT_EQ(detail::load_le32(b), 0x04030201u);
  EXPECT_EQ(detail::load_le64(b), 0xf807060504030201ull);
  EXPECT_EQ(detail::load_le16(b + 6), 0xf807u);
  uint8_t out[8] = {};
  detail::store_le16(out, 0xbeef);
  EXPECT_EQ(out[0], 0xef);
  EXPECT_EQ(out[1], 0xbe);
  detail::store_le32(out, 0xdeadbeefu);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 4), (std::vector<uint8_t>{0xef, 0xbe, 0xad, 0xde}));
  detail::store_le64(out, 0x0123456789abcdefull);
  EXPECT_EQ(std::vector<uint8_t>(out, out + 8), (std::vector<uint8_t>{0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}));
}

TEST(LittleEndian, RoundTrips) {
  uint8_t buf[8];
  for (uint64_t v : {0ull, 1ull, 0xffull, 0x8000000000000000ull, 0xffffffffffffffffull, 0x0102030405060708ull}) {
    detail::store_le64(buf, v);
    EXPECT_EQ(detail::load_le64(buf), v);
    detail::store_le32(buf, uint32_t(v));
    EXPECT_EQ(detail::load_le32(buf), uint32_t(v));
    detail::store_le16(buf, uint16_t(v));
    EXPECT_EQ(detail::load_le16(buf), uint16_t(v));
  }
}

TEST(Hex, EncodesLowerCaseAndRoundTripsEveryByte) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = uint8_t(i);
  const std::string text = internal::to_hex(all);
  EXPECT_EQ(text.substr(0, 8), "00010203");
  EXPECT_EQ(text.substr(2 * 0xab, 2), "ab");
  EXPECT_EQ(text.substr(510), "ff");
  std::vector<uint8_t> back(256);
  ASSERT_TRUE(internal::from_hex(text, back, internal::HexDigits::LowerOnly));
  EXPECT_EQ(back, all);
}

TEST(Hex, ParsesStrictly) {
  std::array<uint8_t, 2> out{};
  EXPECT_TRUE(internal::from_hex("aB0f", out));
  EXPECT_EQ(out[0], 0xab);
  EXPECT_EQ(out[1], 0x0f);
  EXPECT_FALSE(internal::from_hex("aB0f", out, internal::HexDigits::LowerOnly));
  EXPECT_FALSE(internal::from_hex("ab0", out));    // too short
  EXPECT_FALSE(internal::from_hex("ab0f0", out));  // too long
  EXPECT_FALSE(internal::from_hex("ag0f", out));
  EXPECT_FALSE(internal::from_hex("ab 0", out));
  EXPECT_FALSE(internal::from_hex("+b0f", out));
  EXPECT_EQ(internal::hex_digit_value('F'), 15);
  EXPECT_EQ(internal::hex_digit_value('F', internal::HexDigits::LowerOnly), -1);
  EXPECT_EQ(internal::hex_digit_value('/'), -1);
  EXPECT_EQ(internal::hex_digit_value(':'), -1);
}

}  // namespace
}  // namespace spheremask
