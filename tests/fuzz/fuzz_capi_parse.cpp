// The C API's sm_records_parse_append: SM_OK appends exactly one record that serializes back to the
// input; any failure is SM_ERR_INVALID_RECORD, appends nothing and leaves a message naming the field.
#include "fuzz_common.hpp"
#include "spheremask/spheremask.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = spheremask::fuzz::split(data, size);
  if (in.fix_checksum) spheremask::fuzz::fix_record_checksum(in.bytes);
  static sm_records* records = [] {
    sm_records* r = nullptr;
    if (sm_records_create(&r) != SM_OK) spheremask::fuzz::violated("sm_records_create", sm_last_error());
    return r;
  }();
  const size_t before = sm_records_count(records);
  const sm_status st = sm_records_parse_append(records, in.bytes.data(), in.bytes.size(), in.allow_weak);
  if (st == SM_OK) {
    FUZZ_CHECK(sm_records_count(records) == before + 1, "one record appended");
    std::vector<uint8_t> out(sm_records_serialized_size(records, before));
    size_t written = 0;
    FUZZ_CHECK(sm_records_serialize(records, before, out.data(), out.size(), &written) == SM_OK, sm_last_error());
    FUZZ_CHECK(written == in.bytes.size() && out == in.bytes, "C API round trip is not byte-identical");
    // Keep the collection small: start again with a fresh one.
    sm_records_free(records);
    if (sm_records_create(&records) != SM_OK) spheremask::fuzz::violated("sm_records_create", sm_last_error());
  } else {
    FUZZ_CHECK(st == SM_ERR_INVALID_RECORD, std::to_string(st) + ": " + sm_last_error());
    FUZZ_CHECK(sm_records_count(records) == before, "a failed parse appended");
    FUZZ_CHECK(std::string(sm_last_error()).find("record field '") != std::string::npos, sm_last_error());
  }
  return 0;
}
