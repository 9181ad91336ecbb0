// `spheremask verify`: probe i against record i of a directory (probe i = K consecutive rows with
// --frames-per-probe K); prints counts only.
#include <cstdio>
#include <vector>

#include "cli/cli_common.hpp"
#include "cli/frame_flags.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "cli/store_verify.hpp"
#include "cli/verify_record_dir.hpp"

namespace spheremask::cli {

void add_verify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "verify probe row i against record i");
  struct Opts { EngineFlags engine; FrameFlags frames; std::string templates, records; bool json = false; };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd, false);
  cmd->add_option("--templates", o->templates, "float32 .npy of probes")->required();
  auto* records = cmd->add_option("--records", o->records, "directory of .smhd records");
  auto store = add_store_verify_options(*cmd);  // 1:1 against a store: --store --id [--row] (store_verify.cpp)
  records->excludes("--store");
  o->frames.add_to(*cmd);
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o, store] {
    if (!store->store.empty()) return run_store_verify(o->engine, *store, o->templates, o->json, o->frames);
    if (o->records.empty()) throw Error(ErrorCode::InvalidArgument, "verify needs --records DIR or --store DB");
    const NpyMatrix y = NpyMatrix::open(o->templates);
    const size_t probes = o->frames.probes_in(y.rows(), o->templates);
    std::vector<Decision> decisions;
    if (o->frames.per_probe == 1) {
      // One row per probe (--any-of-frames with one frame is the same rule): verify from the files' bytes.
      decisions = verify_record_dir_from_bytes(o->engine, y, o->records);
    } else {
      // K frames per probe: Engine::verify_frames (their mean, or any of them) takes parsed records;
      // verify_serialized verifies one row per record.
      const auto records = load_record_dir(o->records, o->engine.allow_weak);
      check_record_count(probes, records.size(), o->records);
      EngineFlags flags = o->engine;
      flags.n = records[0].n;
      flags.alpha = records[0].alpha;
      auto engine = flags.make(uint32_t(y.cols()));
      decisions = engine->verify_frames(y.data(), y.rows(), records, o->frames.options());
    }
    size_t accepted = 0, tampered = 0;
    for (auto d : decisions) {
      accepted += d == Decision::Accept;
      tampered += d == Decision::Tampered;
    }
    if (o->json)
      return print_json({{"total", decisions.size()}, {"accepted", accepted}, {"tampered", tampered}});
    std::printf("%zu of %zu probes accepted (%.1f%%)", accepted, decisions.size(), 100.0 * double(accepted) / double(decisions.size()));
    if (tampered) std::printf(", %zu TAMPERED records", tampered);
    std::printf("\n");
  });
}

}  // namespace spheremask::cli
