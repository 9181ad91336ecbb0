// Batch record parsing (host/record_batch.*, the store's scans: checksums hashed several at a time on
// two threads): for every blob it must reach exactly the verdict of Record::parse, with the same
// record or the same message. Input: options byte, then blobs each prefixed by a u16le length.
#include "fuzz_common.hpp"
#include "spheremask/detail/bytes.hpp"
#include "format/record_batch.hpp"

using namespace spheremask;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  std::vector<std::vector<uint8_t>> blobs;
  for (size_t at = 0; at + 2 <= in.bytes.size() && blobs.size() < 8;) {
    const size_t len = std::min<size_t>(size_t(detail::load_le16(in.bytes.data() + at)), in.bytes.size() - at - 2);
    blobs.emplace_back(in.bytes.begin() + long(at) + 2, in.bytes.begin() + long(at + 2 + len));
    if (in.fix_checksum) fuzz::fix_record_checksum(blobs.back());
    at += 2 + len;
  }
  const auto parsed = internal::parse_records(blobs, in.allow_weak, 2);
  FUZZ_CHECK(parsed.size() == blobs.size(), "one result per blob");
  for (size_t i = 0; i < blobs.size(); ++i) {
    try {
      const Record single = Record::parse(blobs[i], in.allow_weak);
      FUZZ_CHECK(parsed[i].ok, "batch rejected what Record::parse accepts: " + parsed[i].error);
      FUZZ_CHECK(parsed[i].record.serialize() == single.serialize(), "batch and single parse differ");
      fuzz::expect_valid_record(parsed[i].record, blobs[i], in.allow_weak);
    } catch (const Error& e) {
      FUZZ_CHECK(!parsed[i].ok, std::string("batch accepted what Record::parse rejects: ") + e.what());
      FUZZ_CHECK(parsed[i].error == e.what(), parsed[i].error + " vs " + e.what());
    }
  }
  return 0;
}
