#include "cli/combine_enroll.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::cli {

CombineOptions CombineFlags::options() const {
  CombineOptions o;
  if (!std::isnan(outlier_deg)) o.outlier_deg = outlier_deg;  // the library refuses angles outside (0, 180]
  return o;
}

std::shared_ptr<CombineFlags> add_combine_options(CLI::App& cmd) {
  auto o = std::make_shared<CombineFlags>();
  auto* combine = cmd.add_option("--combine", o->combine,
                                 "mean: the rows that share an id (--ids) become one record, from their normalized "
                                 "mean (multi-sample enrollment)")
                      ->check(CLI::IsMember({"mean"}));
  cmd.add_option("--outlier-deg", o->outlier_deg,
                 "with --combine: drop a sample further than this angle (degrees) from the mean of its id's other "
                 "samples (ids with 3 or more samples)")
      ->needs(combine);
  cmd.add_flag("--json", o->json, "summary as JSON on stdout (ids and row numbers of dropped samples)");
  return o;
}

void gather_groups(const NpyMatrix& x, const IdGroups& g, size_t begin, size_t end, std::vector<float>& rows,
                   std::vector<uint32_t>& sizes) {
  rows.clear();
  sizes.clear();
  for (size_t k = begin; k < end; ++k) {
    for (size_t r : g.rows[k]) rows.insert(rows.end(), x.row(r), x.row(r) + x.cols());
    sizes.push_back(uint32_t(g.rows[k].size()));
  }
}

std::vector<std::vector<size_t>> check_groups(const NpyMatrix& x, const IdGroups& g, const CombineOptions& options) {
  std::vector<float> rows;
  std::vector<uint32_t> sizes;
  gather_groups(x, g, 0, g.ids.size(), rows, sizes);
  // Gathered row i is input row order[i]: errors and dropped rows are reported in input rows.
  std::vector<size_t> order;
  for (const auto& group : g.rows) order.insert(order.end(), group.begin(), group.end());
  CombinedTemplates c;
  try {
    c = combine_groups(rows.data(), uint32_t(x.cols()), sizes, options);
  } catch (const Error& e) {
    secure_zero(rows.data(), rows.size() * sizeof(float));
    // Name the input row or the id rather than the gathered position.
    std::string msg = e.what();
    for (const std::string what : {"template row ", "group "}) {
      const size_t at = msg.find(what);
      if (at == std::string::npos) continue;
      size_t end = at + what.size();
      size_t index = 0;
      while (end < msg.size() && std::isdigit(static_cast<unsigned char>(msg[end]))) index = index * 10 + size_t(msg[end++] - '0');
      const std::string name = what == "group " ? "id '" + g.ids.at(index) + "'" : "template row " + std::to_string(order.at(index));
      msg = msg.substr(0, at) + name + msg.substr(end);
      break;
    }
    throw Error(e.code(), msg);
  }
  secure_zero(rows.data(), rows.size() * sizeof(float));
  secure_zero(c.rows.data(), c.rows.size() * sizeof(float));
  for (auto& d : c.dropped)
    for (auto& r : d) r = order[r];
  return c.dropped;
}

nlohmann::json report_dropped(const IdGroups& g, const std::vector<std::vector<size_t>>& dropped,
                              const std::vector<size_t>& which) {
  nlohmann::json list = nlohmann::json::array();
  size_t samples = 0;
  std::string line;
  for (size_t k : which) {
    if (dropped[k].empty()) continue;
    list.push_back({{"id", g.ids[k]}, {"rows", dropped[k]}});
    samples += dropped[k].size();
    line += (line.empty() ? " " : "; ") + ("'" + g.ids[k] + "' row");
    if (dropped[k].size() > 1) line += "s";
    for (size_t i = 0; i < dropped[k].size(); ++i) line += (i ? "," : " ") + std::to_string(dropped[k][i]);
  }
  if (samples > 0)
    std::fprintf(stderr, "spheremask: outlier rejection dropped %zu samples of %zu ids:%s\n", samples, list.size(),
                 line.c_str());
  return list;
}

}  // namespace spheremask::cli
