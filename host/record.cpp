#include "spheremask/record.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "crypto.hpp"
#include "record_batch.hpp"
#include "spheremask/detail/codeword.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

constexpr uint8_t kMagic[4] = {'S', 'M', 'H', 'D'};
constexpr uint16_t kVersion = 1;

struct Writer {
  uint8_t* p;
  void bytes(const void* src, size_t n) { std::memcpy(p, src, n); p += n; }
  void u8(uint8_t v) { *p++ = v; }
  void u16(uint16_t v) { u8(uint8_t(v)); u8(uint8_t(v >> 8)); }
  void u32(uint32_t v) { u16(uint16_t(v)); u16(uint16_t(v >> 16)); }
};

struct Reader {
  const uint8_t* p;
  void bytes(void* dst, size_t n) { std::memcpy(dst, p, n); p += n; }
  uint8_t u8() { return *p++; }
  uint16_t u16() { const uint16_t lo = u8(); return uint16_t(lo | (uint16_t(u8()) << 8)); }
  uint32_t u32() { const uint32_t lo = u16(); return lo | (uint32_t(u16()) << 16); }
};

[[noreturn]] void invalid(const std::string& field, const std::string& why) {
  throw Error(ErrorCode::InvalidRecord, "record field '" + field + "': " + why);
}

}  // namespace

std::array<uint8_t, kRecordHeaderSize> Record::header() const {
  std::array<uint8_t, kRecordHeaderSize> h{};
  Writer w{h.data()};
  w.bytes(kMagic, 4);
  w.u16(kVersion);
  w.u16(flags);
  w.u32(m);
  w.u32(n);
  w.u16(uint16_t(alpha));
  w.u8(uint8_t(dtype));
  w.u8(hash_alg);
  w.bytes(expander_id.data(), 32);
  w.bytes(app_id.data(), 32);
  w.bytes(salt.data(), 16);
  w.bytes(verifier.data(), 32);
  return h;
}

std::vector<uint8_t> Record::serialize() const {
  if (p.size() != p_bytes())
    throw Error(ErrorCode::InvalidArgument, "record P holds " + std::to_string(p.size()) + " bytes, expected " +
                                                std::to_string(p_bytes()));
  std::vector<uint8_t> out(serialized_size());
  const auto h = header();
  std::memcpy(out.data(), h.data(), h.size());
  std::memcpy(out.data() + h.size(), p.data(), p.size());
  const size_t body = h.size() + p.size();
  const auto checksum = crypto::sha256({out.data(), body});
  std::memcpy(out.data() + body, checksum.data(), 32);
  std::memcpy(out.data() + body + 32, mac.data(), 32);
  return out;
}

Record Record::parse(std::span<const uint8_t> bytes, bool allow_weak) {
  return internal::parse_record(bytes, allow_weak, nullptr);
}

Record internal::parse_record(std::span<const uint8_t> bytes, bool allow_weak, const crypto::Digest* body_sha256) {
  const size_t min_size = kRecordHeaderSize + kRecordTrailerSize;
  if (bytes.size() < 4) invalid("magic", "truncated record (" + std::to_string(bytes.size()) + " bytes)");
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) invalid("magic", "not an SMHD record");
  if (bytes.size() < min_size)
    invalid("size", "truncated record (" + std::to_string(bytes.size()) + " bytes, header and trailer need " +
                        std::to_string(min_size) + ")");
  Reader r{bytes.data() + 4};
  Record rec;
  const uint16_t version = r.u16();
  if (version != kVersion) invalid("version", "unsupported version " + std::to_string(version));
  rec.flags = r.u16();
  if (rec.flags & ~kFlagDeterministic) invalid("flags", "unknown flag bits set");
  rec.m = r.u32();
  rec.n = r.u32();
  rec.alpha = r.u16();
  const uint8_t dtype = r.u8();
  rec.hash_alg = r.u8();
  if (rec.n < 2 || rec.n > detail::kMaxN) invalid("n", std::to_string(rec.n) + " is outside 2..16384");
  if (rec.m < 1 || rec.m > detail::kMaxN) invalid("m", std::to_string(rec.m) + " is outside 1..16384");
  if (rec.alpha < 1 || rec.alpha >= rec.n || rec.alpha > uint32_t(detail::kMaxAlpha))
    invalid("alpha", std::to_string(rec.alpha) + " is outside 1..min(64, n-1)");
  if (dtype > 1) invalid("dtype", "unknown P dtype " + std::to_string(dtype));
  rec.dtype = Dtype(dtype);
  if (rec.hash_alg != kHashSha256) invalid("hash_alg", "unknown hash algorithm " + std::to_string(rec.hash_alg));
  if (!allow_weak && code_bits(rec.n, rec.alpha) < kMinBits)
    invalid("alpha", "code C(" + std::to_string(rec.n) + ", " + std::to_string(rec.alpha) + ") is under 80 bits");
  if (bytes.size() != rec.serialized_size())
    invalid("size", std::to_string(bytes.size()) + " bytes, but n = " + std::to_string(rec.n) + " and dtype need " +
                        std::to_string(rec.serialized_size()));
  r.bytes(rec.expander_id.data(), 32);
  r.bytes(rec.app_id.data(), 32);
  r.bytes(rec.salt.data(), 16);
  r.bytes(rec.verifier.data(), 32);
  const size_t body = kRecordHeaderSize + rec.p_bytes();
  const auto checksum = body_sha256 ? *body_sha256 : crypto::sha256(bytes.first(body));
  if (!crypto::equal_ct(checksum.data(), bytes.data() + body, 32))
    invalid("checksum", "SHA-256 mismatch: the record is corrupted");
  rec.p.assign(bytes.begin() + kRecordHeaderSize, bytes.begin() + body);
  std::memcpy(rec.mac.data(), bytes.data() + body + 32, 32);
  const size_t count = size_t(rec.n) * rec.n;
  if (rec.dtype == Dtype::F32) {
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits;
      std::memcpy(&bits, rec.p.data() + 4 * i, 4);
      if ((bits & 0x7f800000u) == 0x7f800000u) invalid("P", "non-finite entry at index " + std::to_string(i));
    }
  } else {
    for (size_t i = 0; i < count; ++i) {
      const uint16_t h = uint16_t(rec.p[2 * i] | (rec.p[2 * i + 1] << 8));
      if ((h & 0x7c00u) == 0x7c00u) invalid("P", "non-finite entry at index " + std::to_string(i));
    }
  }
  return rec;
}

}  // namespace spheremask
