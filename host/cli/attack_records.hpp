// Records an attack subcommand reads: every *.smhd of a directory (named by file) or every record of a
// store (named by id). Shared by `attack invert` and `attack dictionary`.
#pragma once
#include <string>
#include <vector>

#include "spheremask/record.hpp"

namespace spheremask::cli {

struct NamedRecords {
  std::vector<std::string> names;  // file names, or store ids
  std::vector<Record> records;
  bool from_store = false;
};

// Exactly one of dir and store is non-empty (else Error{InvalidArgument}). A store holding several
// configurations is an error naming them: an attack runs on one configuration at a time.
NamedRecords load_attack_records(const std::string& dir, const std::string& store, bool allow_weak, size_t limit = 0);

}  // namespace spheremask::cli
