// Sealed files (SMSF): parse_sealed_file splits header, context, record and payload; an accepted file
// holds a valid record and header ‖ payload is the input; then open_sealed under a fixed key must fail
// cleanly (nobody can forge the GCM tag) or, for the seeds made under that key, return the plaintext.
#include "fuzz_common.hpp"
#include "spheremask/detail/bytes.hpp"
#include "tools/sealed_file.hpp"

using namespace spheremask;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  constexpr size_t kFixed = 16;
  if (in.fix_checksum && in.bytes.size() >= kFixed) {
    const size_t ctx_len = detail::load_le16(in.bytes.data() + 6);
    const uint64_t rec_len = detail::load_le64(in.bytes.data() + 8);
    if (rec_len <= in.bytes.size() && kFixed + ctx_len + rec_len <= in.bytes.size())
      fuzz::fix_record_checksum(std::span<uint8_t>(in.bytes).subspan(kFixed + ctx_len, rec_len));
  }
  SealedFile f;
  try {
    f = parse_sealed_file(in.bytes, in.allow_weak);
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == ErrorCode::InvalidRecord, e.what());
    const std::string msg = e.what();
    FUZZ_CHECK(msg.rfind("sealed file: ", 0) == 0 || msg.rfind("record field '", 0) == 0, msg);
    return 0;
  }
  std::vector<uint8_t> joined = f.header;
  joined.insert(joined.end(), f.payload.begin(), f.payload.end());
  FUZZ_CHECK(joined == in.bytes, "header and payload do not tile the file");
  const size_t rec_len = f.record.serialized_size();
  FUZZ_CHECK(f.header.size() == kFixed + f.context.size() + rec_len, "header length");
  fuzz::expect_valid_record(f.record, std::span<const uint8_t>(f.header).subspan(kFixed + f.context.size()),
                            in.allow_weak);
  SecretKey key;  // zeros: the key the seed generator sealed its seeds under
  try {
    const auto plain = open_sealed(key, f.payload, f.header);
    FUZZ_CHECK(plain.size() + 28 <= f.payload.size(), "plaintext longer than the payload allows");
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == ErrorCode::Crypto || e.code() == ErrorCode::InvalidRecord, e.what());
  }
  return 0;
}
