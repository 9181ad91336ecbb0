// Decoding the store's rows into records: a row's columns copied out of SQLite, then parsed and checked
// against the metadata columns a gallery is selected by. Separate from the SQLite code so the decoding
// can be exercised on arbitrary bytes (tests/fuzz/fuzz_store_rows.cpp).
#pragma once
#include <string>
#include <vector>

#include "format/record_batch.hpp"
#include "spheremask/store.hpp"

namespace spheremask::internal {

// A row selected with the store's record columns.
struct RawRow {
  std::string id;
  RecordConfig config;          // from the metadata columns
  bool id_columns_ok = false;   // expander_id and app_id columns are 32 bytes each
  std::vector<uint8_t> record;  // the record column
};

// Parses rows (checksums hashed together, spread over the cores; the rows' record bytes are consumed):
// the record of row i, or its failure as a message naming the store path and the row's id. A row whose
// metadata disagrees with its record is a failure: galleries are selected by that metadata.
std::vector<ParsedRecord> parse_rows(const std::string& path, std::vector<RawRow>& rows, bool allow_weak);

}  // namespace spheremask::internal
