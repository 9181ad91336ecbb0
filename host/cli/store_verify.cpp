#include "store_verify.hpp"

#include <cstdio>

#include "npy.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "store_common.hpp"

namespace spheremask::cli {

std::shared_ptr<StoreVerifyOptions> add_store_verify_options(CLI::App& cmd) {
  auto o = std::make_shared<StoreVerifyOptions>();
  auto* store = cmd.add_option("--store", o->store, "SQLite store holding the claimed id's record (instead of --records)");
  cmd.add_option("--id", o->id, "claimed subject id (with --store)")->needs(store);
  cmd.add_option("--row", o->row, "probe of --templates (with --store): its row, or its K rows with --frames-per-probe K")->needs(store)->capture_default_str();
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
  const Store store = Store::open(options.store, StoreMode::ReadOnly);
  const Decision d = verify_stored(flags, store, options.id, y.row(options.row * frames.per_probe), y.cols(), templates, frames);
  if (json) return print_json({{"id", options.id}, {"row", options.row}, {"decision", decision_name(d)}});
  std::printf("%s\n", decision_name(d));
}

}  // namespace spheremask::cli
