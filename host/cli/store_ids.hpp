// Subject-id lists for store enrollment: one id per line of a text file.
#pragma once
#include <string>
#include <vector>

namespace spheremask::cli {

// Reads one id per line ("\r\n" accepted; a final newline is optional). Rejects, naming the line:
// empty or whitespace-only ids, leading/trailing whitespace (two spellings of one person), control
// characters, and an id repeated (naming both lines). Throws Error{InvalidArgument | Io}.
std::vector<std::string> read_id_file(const std::string& path);

}  // namespace spheremask::cli
