#include "tools/sealed_file.hpp"

#include <cstring>

#include "spheremask/detail/bytes.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {
constexpr size_t kFixed = 4 + 2 + 2 + 8;
}

std::vector<uint8_t> make_sealed_file(const Record& record, const std::string& context, const SecretKey& key,
                                      std::span<const uint8_t> plaintext) {
  if (context.size() > 0xffff) throw Error(ErrorCode::InvalidArgument, "key context longer than 65535 bytes");
  const auto rec = record.serialize();
  std::vector<uint8_t> out(kFixed);
  // One allocation for header, context, record and sealed payload (AES-GCM adds a nonce and a tag).
  out.reserve(kFixed + context.size() + rec.size() + plaintext.size() + 64);
  std::memcpy(out.data(), "SMSF", 4);
  out[4] = 1;
  out[5] = 0;
  detail::store_le16(out.data() + 6, uint16_t(context.size()));
  detail::store_le64(out.data() + 8, rec.size());
  out.insert(out.end(), context.begin(), context.end());
  out.insert(out.end(), rec.begin(), rec.end());
  const auto payload = seal(key, plaintext, out);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

SealedFile parse_sealed_file(std::span<const uint8_t> bytes, bool allow_weak) {
  auto bad = [](const std::string& why) { throw Error(ErrorCode::InvalidRecord, "sealed file: " + why); };
  if (bytes.size() < kFixed) bad("truncated header");
  if (std::memcmp(bytes.data(), "SMSF", 4) != 0) bad("bad magic (expected SMSF)");
  if (bytes[4] != 1 || bytes[5] != 0) bad("unsupported version");
  const size_t ctx_len = detail::load_le16(bytes.data() + 6);
  const uint64_t rec_len = detail::load_le64(bytes.data() + 8);
  if (rec_len > bytes.size() || kFixed + ctx_len + rec_len > bytes.size()) bad("truncated record");
  SealedFile f;
  f.context.assign(reinterpret_cast<const char*>(bytes.data() + kFixed), ctx_len);
  const size_t rec_start = kFixed + ctx_len;
  f.record = Record::parse(bytes.subspan(rec_start, rec_len), allow_weak);
  const size_t payload_start = rec_start + rec_len;
  f.header.assign(bytes.begin(), bytes.begin() + payload_start);
  f.payload.assign(bytes.begin() + payload_start, bytes.end());
  return f;
}

}  // namespace spheremask
