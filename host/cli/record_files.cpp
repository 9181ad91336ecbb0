#include "cli/record_files.hpp"

#include <algorithm>

#include "spheremask/error.hpp"
#include "tools/npy.hpp"

namespace spheremask::cli {

namespace fs = std::filesystem;

std::vector<fs::path> list_record_files(const std::string& dir) {
  if (!fs::is_directory(dir)) throw Error(ErrorCode::Io, dir + ": not a directory");
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".smhd") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_record_file(const fs::path& file) {
  const auto status = fs::symlink_status(file);
  if (fs::is_symlink(status))
    throw Error(ErrorCode::Io, file.string() + ": is a symbolic link; records must be regular files (links are not followed)");
  if (!fs::is_regular_file(status))
    throw Error(ErrorCode::Io, file.string() + ": is " + (fs::is_directory(status) ? "a directory" : "not a regular file") +
                                   "; records must be regular files");
  return read_file(file.string());
}

Record parse_record_file(const fs::path& file, std::span<const uint8_t> bytes, bool allow_weak) {
  try {
    return Record::parse(bytes, allow_weak);
  } catch (const Error& e) {
    throw Error(e.code(), file.string() + ": " + e.what());
  }
}

void throw_first_unparsable(std::span<const fs::path> files, size_t from, bool allow_weak) {
  for (size_t i = from; i < files.size(); ++i) {
    const std::string bytes = read_record_file(files[i]);
    parse_record_file(files[i], bytes_of(bytes), allow_weak);
  }
}

}  // namespace spheremask::cli
