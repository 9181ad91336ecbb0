#include "cli/store_verify.hpp"

#include <cstdio>
#include <optional>
#include <vector>

#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "cli/store_common.hpp"

namespace spheremask::cli {

std::shared_ptr<StoreVerifyOptions> add_store_verify_options(CLI::App& cmd) {
  auto o = std::make_shared<StoreVerifyOptions>();
  auto* store = cmd.add_option("--store", o->store, "SQLite store holding the claimed id's record (instead of --records)");
  cmd.add_option("--id", o->id, "claimed subject id (with --store)")->needs(store);
  cmd.add_option("--row", o->row, "probe of --templates (with --store): its row, or its K rows with --frames-per-probe K")->needs(store)->capture_default_str();
  cmd.add_flag("--upgrade-on-verify", o->upgrade_on_verify,
               "after a genuine verification, rewrite a v1 record as v2 in the store (one transaction)")
      ->needs(store);
  return o;
}

Decision verify_stored(const EngineFlags& flags, const Store& store, const std::string& id, const float* probe,
                       size_t dim, const std::string& probe_name, const FrameFlags& frames) {
  const Record record = store.get(id, flags.allow_weak);
  if (dim != record.m)
    throw Error(ErrorCode::Mismatch, probe_name + " has dimension " + std::to_string(dim) + " but the record of '" + id +
                                         "' expects m = " + std::to_string(record.m));
  auto engine = engine_for(RecordConfig::of(record), flags);
  const Decision d = engine->verify_frames(probe, frames.per_probe, {&record, 1}, frames.options()).at(0);
  if (d == Decision::Tampered)
    std::fprintf(stderr, "spheremask: WARNING: the record of '%s' fails its MAC: it was tampered with\n", id.c_str());
  return d;
}

void run_store_verify(const EngineFlags& flags, const StoreVerifyOptions& options, const std::string& templates,
                      bool json, const FrameFlags& frames) {
  if (options.id.empty()) throw Error(ErrorCode::InvalidArgument, "--store needs --id");
  const NpyMatrix y = NpyMatrix::open(templates);
  const size_t probes = frames.probes_in(y.rows(), templates);
  if (options.row >= probes)
    throw Error(ErrorCode::InvalidArgument, "--row " + std::to_string(options.row) + " but " + templates + " has " +
                                                std::to_string(probes) + (frames.per_probe > 1 ? " probes" : " rows"));
  if (options.upgrade_on_verify && frames.per_probe > 1)
    throw Error(ErrorCode::InvalidArgument, "--upgrade-on-verify takes one probe row per claim (no --frames-per-probe)");
  Store store = Store::open(options.store, options.upgrade_on_verify ? StoreMode::ReadWrite : StoreMode::ReadOnly);
  Decision d;
  bool upgraded = false;
  if (options.upgrade_on_verify) {
    const Record record = store.get(options.id, flags.allow_weak);
    if (y.cols() != record.m)
      throw Error(ErrorCode::Mismatch, templates + " has dimension " + std::to_string(y.cols()) + " but the record of '" +
                                           options.id + "' expects m = " + std::to_string(record.m));
    auto engine = engine_for(RecordConfig::of(record), flags);
    // The v2 MAC needs the key this genuine probe releases; the key itself is not used (and wiped).
    std::vector<std::optional<Record>> v2;
    d = engine->verify_and_upgrade(y.row(options.row), 1, {&record, 1}, {}, v2).at(0).decision;
    if (v2[0]) upgraded = store.replace_if_unchanged(options.id, record, *v2[0]);
    if (d == Decision::Tampered)
      std::fprintf(stderr, "spheremask: WARNING: the record of '%s' fails its MAC: it was tampered with\n", options.id.c_str());
  } else {
    d = verify_stored(flags, store, options.id, y.row(options.row * frames.per_probe), y.cols(), templates, frames);
  }
  if (upgraded) std::fprintf(stderr, "spheremask: rewrote the v1 record of '%s' as v2\n", options.id.c_str());
  if (json) {
    nlohmann::json j = {{"id", options.id}, {"row", options.row}, {"decision", decision_name(d)}};
    if (options.upgrade_on_verify) j["upgraded"] = upgraded;
    return print_json(j);
  }
  std::printf("%s\n", decision_name(d));
}

}  // namespace spheremask::cli
