// Subject-id lists for store enrollment: one id per line of a text file.
#pragma once
#include <string>
#include <vector>

namespace spheremask::cli {

// Reads one id per line ("\r\n" accepted; a final newline is optional). Rejects, naming the line:
// empty or whitespace-only ids, leading/trailing whitespace (two spellings of one person), control
// characters, and, unless allow_repeats, an id repeated (naming both lines). Throws Error{InvalidArgument | Io}.
std::vector<std::string> read_id_file(const std::string& path, bool allow_repeats = false);

// Rows of one id: the distinct ids in order of first appearance, each with its rows ascending.
struct IdGroups {
  std::vector<std::string> ids;
  std::vector<std::vector<size_t>> rows;
};
IdGroups group_rows_by_id(const std::vector<std::string>& row_ids);

}  // namespace spheremask::cli
