// `spheremask identify`: 1:N. For every probe (a row, or K rows with --frames-per-probe K), every id of
// the store whose record accepts it.
// The gallery streams from the store in chunks, so it need not fit in memory.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_common.hpp"
#include "cli/frame_flags.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "cli/store_common.hpp"

namespace spheremask::cli {

void add_identify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("identify", "1:N: for every probe, the ids of the store whose records accept it");
  struct Opts { EngineFlags engine; FrameFlags frames; std::string store, probes; size_t chunk_mib = 2048; bool json = false; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--store", o->store, "SQLite store (the gallery)")->required();
  cmd->add_option("--probes", o->probes, "float32 .npy, one probe template per row")->required();
  cmd->add_option("--backend", o->engine.backend, "cpu, cuda or auto")->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  cmd->add_option("--threads", o->engine.threads, "CPU threads (0 = all cores)");
  cmd->add_option("--expander", o->engine.expander, "template expander weights (.smte) the records were made with");
  cmd->add_option("--chunk-mib", o->chunk_mib, "gallery records held in memory at once, MiB")->capture_default_str();
  cmd->add_flag("--allow-weak", o->engine.allow_weak, "accept codes under 80 bits (testing only)");
  o->frames.add_to(*cmd);
  cmd->add_option("--app-key-file", o->engine.app_key_file, "application key the records are bound to (32 raw bytes or 64 hex digits)");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    const NpyMatrix y = NpyMatrix::open(o->probes);
    const size_t probes = o->frames.probes_in(y.rows(), o->probes);
    const Store store = Store::open(o->store, StoreMode::ReadOnly);
    std::vector<std::vector<std::string>> matches(probes);
    size_t compared = 0;
    for (const auto& [config, count] : store.configurations()) {
      if (config.m != y.cols()) {
        std::fprintf(stderr, "spheremask: skipping %zu records with %s: probes have dimension %zu\n", count,
                     config.describe().c_str(), y.cols());
        continue;
      }
      auto engine = engine_for(config, o->engine);
      store.scan_gallery(config, std::max<size_t>(o->chunk_mib, 1) << 20, o->engine.allow_weak, [&](GalleryChunk& chunk) {
        const auto hits = engine->identify_frames(y.data(), y.rows(), chunk.records, o->frames.options());
        for (size_t p = 0; p < hits.size(); ++p)
          for (uint32_t r : hits[p]) matches[p].push_back(chunk.ids[r]);
        compared += chunk.records.size();
        return true;
      });
    }
    if (compared == 0)
      throw Error(ErrorCode::Mismatch, o->store + " holds no records for templates of dimension " + std::to_string(y.cols()));
    for (auto& ids : matches) std::sort(ids.begin(), ids.end());
    if (o->json) {
      nlohmann::json list = nlohmann::json::array();
      for (size_t p = 0; p < matches.size(); ++p) list.push_back({{"probe", p}, {"ids", matches[p]}});
      return print_json({{"probes", probes}, {"matches", list}});
    }
    for (size_t p = 0; p < matches.size(); ++p) {
      std::printf("probe %zu:", p);
      if (matches[p].empty()) std::printf(" no match");
      for (const auto& id : matches[p]) std::printf(" %s", id.c_str());
      std::printf("\n");
    }
  });
}

}  // namespace spheremask::cli
