#include "cli/store_ids.hpp"

#include <unordered_map>

#include "tools/npy.hpp"
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

std::vector<std::string> read_id_file(const std::string& path, bool allow_repeats) {
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
    if (!fresh && !allow_repeats)
      throw Error(ErrorCode::InvalidArgument, path + ":" + std::to_string(line) + ": duplicate id '" + id +
                                                  "' (first on line " + std::to_string(it->second) +
                                                  "); --combine mean enrolls the rows of one id as one record");
    ids.push_back(std::move(id));
    start = end + 1;
    ++line;
  }
  return ids;
}

IdGroups group_rows_by_id(const std::vector<std::string>& row_ids) {
  IdGroups out;
  std::unordered_map<std::string, size_t> group_of;
  for (size_t row = 0; row < row_ids.size(); ++row) {
    const auto [it, fresh] = group_of.emplace(row_ids[row], out.ids.size());
    if (fresh) {
      out.ids.push_back(row_ids[row]);
      out.rows.emplace_back();
    }
    out.rows[it->second].push_back(row);
  }
  return out;
}

}  // namespace spheremask::cli
