// The record files of a directory (record-NNNNNNN.smhd, as `enroll --out` writes them): listed, read and
// parsed one at a time, every error naming the file, for the commands that read a whole directory.
#pragma once
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "spheremask/record.hpp"

namespace spheremask::cli {

// Every *.smhd in dir, sorted by name; Error{Io} when dir is not a directory.
std::vector<std::filesystem::path> list_record_files(const std::string& dir);
// The bytes of one record file. It must be a plain file: symlinks are not followed (a record swapped for a
// link to another subject's record, a device or a FIFO is Error{Io} naming it, never read or skipped).
std::string read_record_file(const std::filesystem::path& file);
// Record::parse of a file's bytes; its error carries the file's path in front.
Record parse_record_file(const std::filesystem::path& file, std::span<const uint8_t> bytes, bool allow_weak);
// Reads and parses files[from], files[from + 1], ... and throws the first one's error; returns when all parse.
void throw_first_unparsable(std::span<const std::filesystem::path> files, size_t from, bool allow_weak);

inline std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace spheremask::cli
