// `spheremask synth`: enroll.npy and probe.npy with probe i at exactly --angle degrees from enroll i.
#include <filesystem>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "cli/synthetic.hpp"

namespace spheremask::cli {

void add_synth_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "synthetic templates and probes at an exact angle (non-secret test data)");
  struct Opts { size_t count = 100; uint32_t dim = 512; double angle = 40; std::string seed = "1"; std::string out; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--count", o->count, "number of template pairs")->capture_default_str();
  cmd->add_option("--dim", o->dim, "template dimension")->capture_default_str();
  cmd->add_option("--angle", o->angle, "angle between template i and probe i, degrees")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed (decimal text or 64 hex digits)")->capture_default_str();
  cmd->add_option("--out", o->out, "output directory")->required();
  cmd->callback([o] {
    if (o->count == 0) throw Error(ErrorCode::InvalidArgument, "--count must be positive");
    const auto pairs = make_synthetic_pairs(seed_from_text(o->seed), o->count, o->dim, o->angle);
    std::filesystem::create_directories(o->out);
    write_npy_f32(o->out + "/enroll.npy", pairs.enroll.data(), o->count, o->dim);
    write_npy_f32(o->out + "/probe.npy", pairs.probe.data(), o->count, o->dim);
    std::cerr << "wrote " << o->count << " × " << o->dim << " templates to " << o->out << "/enroll.npy and probes at "
              << o->angle << " degrees to " << o->out << "/probe.npy\n";
  });
}

}  // namespace spheremask::cli
