// Record::parse (SMHD v1): an accepted record passes every DESIGN §4 validation and serializes back
// to the same bytes; a rejected one is Error{InvalidRecord} naming its field.
#include "fuzz_common.hpp"

using namespace spheremask;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  if (in.fix_checksum) fuzz::fix_record_checksum(in.bytes);
  try {
    const Record r = Record::parse(in.bytes, in.allow_weak);
    fuzz::expect_valid_record(r, in.bytes, in.allow_weak);
  } catch (const Error& e) {
    fuzz::expect_error(e, ErrorCode::InvalidRecord, "record field '");
  }
  return 0;
}
