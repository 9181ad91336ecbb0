#include "cli/attack_records.hpp"

#include <algorithm>
#include <filesystem>

#include "cli/cli_common.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"

namespace spheremask::cli {

NamedRecords load_attack_records(const std::string& dir, const std::string& store, bool allow_weak, size_t limit) {
  if (dir.empty() == store.empty()) throw Error(ErrorCode::InvalidArgument, "give exactly one of --records DIR and --store DB");
  NamedRecords out;
  if (!dir.empty()) {
    out.records = load_record_dir(dir, allow_weak);
    namespace fs = std::filesystem;
    for (const auto& e : fs::directory_iterator(dir))  // the same files, in the same (sorted) order
      if (e.is_regular_file() && e.path().extension() == ".smhd") out.names.push_back(e.path().filename().string());
    std::sort(out.names.begin(), out.names.end());
  } else {
    const Store s = Store::open(store, StoreMode::ReadOnly);
    const auto configs = s.configurations();
    if (configs.size() > 1) {
      std::string list;
      for (const auto& [config, count] : configs) list += (list.empty() ? "" : "; ") + config.describe();
      throw Error(ErrorCode::Mismatch, store + " holds records of several configurations (" + list +
                                           "): attack one configuration at a time");
    }
    if (!configs.empty()) {
      GalleryChunk g = s.load_gallery(configs[0].first, allow_weak);
      out.names = std::move(g.ids);
      out.records = std::move(g.records);
    }
    out.from_store = true;
  }
  if (out.records.empty()) throw Error(ErrorCode::InvalidArgument, "no records in " + (dir.empty() ? store : dir));
  if (limit > 0 && out.records.size() > limit) {
    out.records.resize(limit);
    out.names.resize(limit);
  }
  return out;
}

}  // namespace spheremask::cli
