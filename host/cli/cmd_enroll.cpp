// `spheremask enroll`: one .smhd record per template row, written to --out DIR.
#include <filesystem>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "npy.hpp"
#include "spheremask/error.hpp"
#include "store_enroll.hpp"

namespace spheremask::cli {

void add_enroll_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("enroll", "enroll templates: one protected record per row");
  struct Opts { EngineFlags engine; std::string templates, out, seed_hex; size_t batch = 256; };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  cmd->add_option("--templates", o->templates, "float32 .npy, rows = templates")->required();
  auto* out = cmd->add_option("--out", o->out, "directory for the records (record-NNNNNNN.smhd)");
  auto store = add_store_enroll_options(*cmd);  // store mode: --store --ids [--replace] (store_enroll.cpp)
  out->excludes("--store");
  cmd->add_option("--batch", o->batch, "templates per engine call")->capture_default_str();
  cmd->add_option("--insecure-seed", o->seed_hex,
                  "INSECURE: derive every secret from this 64-hex-digit seed (reproducible tests and benchmarks only)");
  cmd->callback([o, store, cmd] {
    if (!store->store.empty()) {
      // A store is a gallery: f16 P by default (half the bytes per identification pass), f32 on request.
      EngineFlags flags = o->engine;
      if (cmd->get_option("--dtype")->count() == 0) flags.dtype = "f16";
      return run_store_enroll(flags, *store, o->templates, o->batch, o->seed_hex);
    }
    if (o->out.empty()) throw Error(ErrorCode::InvalidArgument, "enroll needs --out DIR or --store DB");
    const NpyMatrix x = NpyMatrix::open(o->templates);
    auto engine = o->engine.make(uint32_t(x.cols()));
    EnrollOptions eo;
    if (!o->seed_hex.empty()) {
      eo.insecure_seed = parse_seed_hex(o->seed_hex);
      std::cerr << "spheremask: WARNING: --insecure-seed makes every secret reproducible from the seed; "
                   "records are flagged deterministic and must not protect real templates\n";
    }
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
