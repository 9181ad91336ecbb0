#include "store_ids.hpp"

#include <unordered_map>

#include "npy.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {
namespace {

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

void check_id(const std::string& path, size_t line, const std::string& id) {
  auto bad = [&](const std::string& why) {
    throw Error(ErrorCode::InvalidArgument, path + ":" + std::to_string(line) + ": " + why);
  };
  bool blank = true;
  for (unsigned char c : id) blank = blank && is_space(c);
  if (blank) bad("empty id");
  if (is_space(id.front()) || is_space(id.back())) bad("id has leading or trailing whitespace");
  for (unsigned char c : id)
    if (c < 0x20 || c == 0x7f) bad("id contains a control character");
}

}  // namespace

std::vector<std::string> read_id_file(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<std::string> ids;
  std::unordered_map<std::string, size_t> first_line;
  size_t start = 0, line = 1;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string id = text.substr(start, end - start);
    if (!id.empty() && id.back() == '\r') id.pop_back();
    check_id(path, line, id);
    const auto [it, fresh] = first_line.emplace(id, line);
    if (!fresh)
      throw Error(ErrorCode::InvalidArgument, path + ":" + std::to_string(line) + ": duplicate id '" + id +
                                                  "' (first on line " + std::to_string(it->second) + ")");
    ids.push_back(std::move(id));
    start = end + 1;
    ++line;
  }
  return ids;
}

}  // namespace spheremask::cli
