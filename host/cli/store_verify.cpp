#include "store_verify.hpp"

#include <cstdio>
#include <optional>
#include <vector>

#include "npy.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "store_common.hpp"

namespace spheremask::cli {

std::shared_ptr<StoreVerifyOptions> add_store_verify_options(CLI::App& cmd) {
  auto o = std::make_shared<StoreVerifyOptions>();
  auto* store = cmd.add_option("--store", o->store, "SQLite store holding the claimed id's record (instead of --records)");
  cmd.add_option("--id", o->id, "claimed subject id (with --store)")->needs(store);
  cmd.add_option("--row", o->row, "probe row of --templates (with --store)")->needs(store)->capture_default_str();
  cmd.add_flag("--upgrade-on-verify", o->upgrade_on_verify,
               "after a genuine verification, rewrite a v1 record as v2 in the store (one transaction)")
      ->needs(store);
  return o;
}

void run_store_verify(const EngineFlags& flags, const StoreVerifyOptions& options, const std::string& templates,
                      bool json) {
  if (options.id.empty()) throw Error(ErrorCode::InvalidArgument, "--store needs --id");
  const NpyMatrix y = NpyMatrix::open(templates);
  if (options.row >= y.rows())
    throw Error(ErrorCode::InvalidArgument, "--row " + std::to_string(options.row) + " but " + templates + " has " +
                                                std::to_string(y.rows()) + " rows");
  Store store = Store::open(options.store, options.upgrade_on_verify ? StoreMode::ReadWrite : StoreMode::ReadOnly);
  const Record record = store.get(options.id, flags.allow_weak);
  if (y.cols() != record.m)
    throw Error(ErrorCode::Mismatch, templates + " has dimension " + std::to_string(y.cols()) + " but the record of '" +
                                         options.id + "' expects m = " + std::to_string(record.m));
  auto engine = engine_for(RecordConfig::of(record), flags);
  Decision d;
  bool upgraded = false;
  if (options.upgrade_on_verify) {
    // The v2 MAC needs the key this genuine probe releases; the key itself is not used (and wiped).
    std::vector<std::optional<Record>> v2;
    d = engine->verify_and_upgrade(y.row(options.row), 1, {&record, 1}, {}, v2).at(0).decision;
    if (v2[0]) upgraded = store.replace_if_unchanged(options.id, record, *v2[0]);
  } else {
    d = engine->verify(y.row(options.row), 1, {&record, 1}).at(0);
  }
  if (d == Decision::Tampered)
    std::fprintf(stderr, "spheremask: WARNING: the record of '%s' fails its MAC: it was tampered with\n", options.id.c_str());
  if (upgraded) std::fprintf(stderr, "spheremask: rewrote the v1 record of '%s' as v2\n", options.id.c_str());
  if (json) {
    nlohmann::json j = {{"id", options.id}, {"row", options.row}, {"decision", decision_name(d)}};
    if (options.upgrade_on_verify) j["upgraded"] = upgraded;
    return print_json(j);
  }
  std::printf("%s\n", decision_name(d));
}

}  // namespace spheremask::cli
