#include "store/store_rows.hpp"

#include <utility>

#include "util/parallel.hpp"

namespace spheremask::internal {

std::vector<ParsedRecord> parse_rows(const std::string& path, std::vector<RawRow>& rows, bool allow_weak) {
  std::vector<std::vector<uint8_t>> blobs(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) blobs[i] = std::move(rows[i].record);
  auto parsed = parse_records(blobs, allow_weak, resolve_threads(0));
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& p = parsed[i];
    if (!rows[i].id_columns_ok) {
      p = {false, {}, "expander_id or app_id column is not 32 bytes"};
    } else if (p.ok && !(RecordConfig::of(p.record) == rows[i].config)) {
      p = {false, {}, "the row's metadata (" + rows[i].config.describe() + ") disagrees with its record (" +
                          RecordConfig::of(p.record).describe() + ")"};
    }
    if (!p.ok) p.error = path + ": id '" + rows[i].id + "': " + p.error;
  }
  return parsed;
}

}  // namespace spheremask::internal
