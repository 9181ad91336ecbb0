// SMTE expander files (parse_expander): accepted weights serialize back to the same bytes and pass the
// shape checks; a rejected file is Error{InvalidRecord} naming its field.
#include "fuzz_common.hpp"
#include "spheremask/expander_file.hpp"

using namespace spheremask;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  if (in.fix_checksum && in.bytes.size() >= 32) {  // the trailing SHA-256 covers every byte before it
    const size_t body = in.bytes.size() - 32;
    const auto digest = crypto::sha256(std::span<const uint8_t>(in.bytes).first(body));
    std::memcpy(in.bytes.data() + body, digest.data(), 32);
  }
  try {
    const ExpanderWeights w = parse_expander(in.bytes);
    check_expander_shapes(w);
    FUZZ_CHECK(serialize_expander(w) == in.bytes, "parse then serialize is not byte-identical");
  } catch (const Error& e) {
    fuzz::expect_error(e, ErrorCode::InvalidRecord, "expander field '");
  }
  return 0;
}
