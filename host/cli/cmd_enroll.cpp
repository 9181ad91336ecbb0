// `spheremask enroll`: one .smhd record per template row, written to --out DIR; with --ids and
// --combine mean, one record per id from the normalized mean of its rows.
#include <filesystem>
#include <iostream>
#include <sstream>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "cli/store_enroll.hpp"
#include "cli/store_ids.hpp"

namespace spheremask::cli {

namespace {

EnrollOptions enroll_options(const std::string& seed_hex) {
  EnrollOptions eo;
  if (!seed_hex.empty()) {
    eo.insecure_seed = parse_seed_hex(seed_hex);
    std::cerr << "spheremask: WARNING: --insecure-seed makes every secret reproducible from the seed; "
                 "records are flagged deterministic and must not protect real templates\n";
  }
  return eo;
}

// --out DIR --ids --combine mean: record-NNNNNNN.smhd is the g-th distinct id (order of first
// appearance), and DIR/ids.txt names them in that order. Every row and id is checked before DIR is made.
void enroll_combined_dir(const EngineFlags& flags, const std::string& templates, const std::string& ids_path,
                         const std::string& out, size_t batch, const std::string& seed_hex, const CombineFlags& combine) {
  const NpyMatrix x = NpyMatrix::open(templates);
  const std::vector<std::string> ids = read_id_file(ids_path, true);
  if (ids.size() != x.rows())
    throw Error(ErrorCode::InvalidArgument, templates + " has " + std::to_string(x.rows()) + " rows but " + ids_path +
                                                " has " + std::to_string(ids.size()) + " ids");
  const IdGroups groups = group_rows_by_id(ids);
  const CombineOptions options = combine.options();
  const auto dropped = check_groups(x, groups, options);
  auto engine = flags.make(uint32_t(x.cols()));
  EnrollOptions eo = enroll_options(seed_hex);
  std::vector<size_t> all(groups.ids.size());
  for (size_t g = 0; g < all.size(); ++g) all[g] = g;
  const nlohmann::json dropped_json = report_dropped(groups, dropped, all);
  std::filesystem::create_directories(out);
  batch = std::max<size_t>(batch, 1);
  size_t samples = 0;
  std::vector<float> rows;
  std::vector<uint32_t> sizes;
  for (size_t start = 0; start < groups.ids.size(); start += batch) {
    const size_t end = std::min(groups.ids.size(), start + batch);
    gather_groups(x, groups, start, end, rows, sizes);
    eo.first_index = start;
    const auto made = engine->enroll_groups(rows.data(), sizes, eo, options);
    secure_zero(rows.data(), rows.size() * sizeof(float));
    for (size_t g = start; g < end; ++g) {
      const auto bytes = made.records[g - start].serialize();
      write_file_atomic(out + "/" + record_file_name(g), bytes.data(), bytes.size());
      samples += made.records[g - start].samples;
    }
  }
  std::ostringstream names;
  for (const auto& id : groups.ids) names << id << "\n";
  const std::string text = names.str();
  write_file_atomic(out + "/ids.txt", text.data(), text.size());
  std::cerr << "enrolled " << groups.ids.size() << " ids from " << samples << " samples on " << engine->device_name()
            << " into " << out << " (record i is line i of ids.txt)\n";
  if (combine.json) print_json({{"enrolled", groups.ids.size()}, {"samples", samples}, {"dropped", dropped_json}});
}

}  // namespace

void add_enroll_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("enroll", "enroll templates: one protected record per row");
  struct Opts { EngineFlags engine; std::string templates, out, seed_hex; size_t batch = 256; };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  cmd->add_option("--templates", o->templates, "float32 .npy, rows = templates")->required();
  auto* out = cmd->add_option("--out", o->out, "directory for the records (record-NNNNNNN.smhd)");
  auto store = add_store_enroll_options(*cmd);  // store mode: --store --ids [--replace] (store_enroll.cpp)
  out->excludes("--store");
  auto combine = add_combine_options(*cmd);  // --combine mean [--outlier-deg A] [--json] (combine_enroll.cpp)
  cmd->add_option("--batch", o->batch, "templates per engine call")->capture_default_str();
  cmd->add_option("--insecure-seed", o->seed_hex,
                  "INSECURE: derive every secret from this 64-hex-digit seed (reproducible tests and benchmarks only)");
  cmd->callback([o, store, combine, cmd] {
    if (combine->enabled() && store->ids.empty())
      throw Error(ErrorCode::InvalidArgument, "--combine needs --ids (rows with the same id make one record)");
    if (!store->store.empty()) {
      // A store is a gallery: f16 P by default (half the bytes per identification pass), f32 on request.
      EngineFlags flags = o->engine;
      if (cmd->get_option("--dtype")->count() == 0) flags.dtype = "f16";
      return run_store_enroll(flags, *store, o->templates, o->batch, o->seed_hex, *combine);
    }
    if (o->out.empty()) throw Error(ErrorCode::InvalidArgument, "enroll needs --out DIR or --store DB");
    if (combine->enabled()) return enroll_combined_dir(o->engine, o->templates, store->ids, o->out, o->batch,
                                                       o->seed_hex, *combine);
    if (!store->ids.empty())
      throw Error(ErrorCode::InvalidArgument, "--ids with --out needs --combine mean (records in a directory are numbered)");
    const NpyMatrix x = NpyMatrix::open(o->templates);
    auto engine = o->engine.make(uint32_t(x.cols()));
    EnrollOptions eo = enroll_options(o->seed_hex);
    std::filesystem::create_directories(o->out);
    const size_t batch = std::max<size_t>(o->batch, 1);
    for (size_t start = 0; start < x.rows(); start += batch) {
      const size_t count = std::min(batch, x.rows() - start);
      eo.first_index = start;
      const auto records = engine->enroll(x.row(start), count, eo);
      for (size_t i = 0; i < count; ++i) {
        const auto bytes = records[i].serialize();
        write_file_atomic(o->out + "/" + record_file_name(start + i), bytes.data(), bytes.size());
      }
    }
    std::cerr << "enrolled " << x.rows() << " templates on " << engine->device_name() << " into " << o->out << "\n";
  });
}

}  // namespace spheremask::cli
