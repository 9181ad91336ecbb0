// The store's row decoding (internal::parse_rows): a row is accepted only when its record parses and
// its metadata columns match the record; a refused row's message names the store and the row's id.
// Input: options byte, id length (1) and id, m n alpha (u32le each), dtype (1: odd = f16), a byte
// whose low bit marks the id columns as 32 bytes, expander id (32), app id (32), then the record.
#include "fuzz_common.hpp"
#include "store/store_rows.hpp"

using namespace spheremask;

namespace {
struct Cursor {
  const std::vector<uint8_t>& b;
  size_t at = 0;
  uint8_t u8() { return at < b.size() ? b[at++] : 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(u8()) << (8 * i);
    return v;
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto in = fuzz::split(data, size);
  Cursor c{in.bytes};
  internal::RawRow row;
  for (size_t len = c.u8(); len > 0 && c.at < in.bytes.size(); --len) row.id.push_back(char(c.u8()));
  row.config.m = c.u32();
  row.config.n = c.u32();
  row.config.alpha = c.u32();
  row.config.dtype = (c.u8() & 1) ? Dtype::F16 : Dtype::F32;
  row.id_columns_ok = c.u8() & 1;
  for (auto& x : row.config.expander_id) x = c.u8();
  for (auto& x : row.config.app_id) x = c.u8();
  if (c.at < in.bytes.size()) row.record.assign(in.bytes.begin() + long(c.at), in.bytes.end());
  if (in.fix_checksum) fuzz::fix_record_checksum(row.record);
  const auto bytes = row.record;
  const auto config = row.config;
  const bool columns_ok = row.id_columns_ok;
  const std::string id = row.id;
  std::vector<internal::RawRow> rows{std::move(row)};
  const auto parsed = internal::parse_rows("fuzz.smdb", rows, in.allow_weak);
  FUZZ_CHECK(parsed.size() == 1, "one result per row");
  if (parsed[0].ok) {
    FUZZ_CHECK(columns_ok, "a row with malformed id columns was accepted");
    FUZZ_CHECK(RecordConfig::of(parsed[0].record) == config, "metadata disagrees with the accepted record");
    fuzz::expect_valid_record(parsed[0].record, bytes, in.allow_weak);
  } else {
    FUZZ_CHECK(parsed[0].error.rfind("fuzz.smdb: id '" + id + "': ", 0) == 0, parsed[0].error);
  }
  return 0;
}
