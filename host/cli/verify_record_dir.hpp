// `verify --records DIR` with one probe row per record: the record files are read in batches of bounded
// size and verified from their bytes (Engine::verify_serialized: on the CPU each v2 record's P is read
// once, hashed and multiplied run by run, never copied), with the decisions, errors and stderr lines of
// load_record_dir + Engine::verify_frames.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "cli/cli_common.hpp"
#include "tools/npy.hpp"

namespace spheremask::cli {

// Error{InvalidArgument} unless the directory holds as many records as there are probes, and at least one.
void check_record_count(size_t probes, size_t records, const std::string& dir);

// Probe row i of y against record file i of dir (sorted by name). The engine is made from flags with the
// first record's n and α; a file that does not parse is named by its path, a record that does not fit
// the engine by its index in the directory; the weak-code warning comes once every file has been read.
std::vector<Decision> verify_record_dir_from_bytes(const EngineFlags& flags, const NpyMatrix& y, const std::string& dir);

}  // namespace spheremask::cli
