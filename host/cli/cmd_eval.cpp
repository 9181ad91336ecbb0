// `spheremask eval`: TAR/FAR of a configuration on labelled templates, next to the unprotected cosine
// matcher at the same FAR and with the same protocol; `--sweep` runs a list of configurations and writes one
// JSON line each. Evaluation only: enrollment uses an insecure seed.
#include <cstdio>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "tools/eval.hpp"
#include "cli/eval_report.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {
namespace {

void print_text(const eval::ProtocolResult& pr, const Engine& engine, const EngineFlags& flags,
                const eval::Protocol& protocol, const std::string& mode) {
  const auto& r = pr.result;
  const auto& p = engine.params();
  std::printf("C(%u, %u) %.1f bits, m=%u%s, mode %s\n", p.n, p.alpha, code_bits(p.n, p.alpha), p.m,
              p.expander ? (", expander " + flags.expander).c_str() : "", mode.c_str());
  if (protocol.samples)
    std::printf("protocol: %u enrollment samples, %u probe frames, reserve %u; %zu identities, %zu probes\n",
                protocol.enroll_samples, protocol.probe_frames, protocol.reserved(), pr.identities, pr.probes);
  std::printf("TAR %.4f [%.4f, %.4f]  (%zu / %zu genuine pairs)\n", r.tar, r.tar_ci.lo, r.tar_ci.hi, r.genuine_accepted,
              r.genuine_pairs);
  std::printf("FAR %.6f [%.6f, %.6f]  (%zu / %zu impostor pairs; identity bootstrap [%.6f, %.6f], crossed [%.6f, %.6f]; "
              "%zu pairs of people, %zu with an accept: [%.6f, %.6f]; upper bound %.6f)\n",
              r.far, r.far_ci.lo, r.far_ci.hi, r.impostor_accepted, r.impostor_pairs, pr.far_ci_identity.lo,
              pr.far_ci_identity.hi, pr.far_ci_crossed.lo, pr.far_ci_crossed.hi, pr.far_units.units,
              pr.far_units.unit_events, pr.far_units.ci.lo, pr.far_units.ci.hi, pr.far_upper());
  std::printf("unprotected cosine matcher at the same FAR: TAR %.4f\n", r.baseline_tar_at_far);
  std::printf("accepted genuine pairs: mean angle %.1f deg, max %.1f deg\n", r.accepted_angle_mean_deg,
              r.accepted_angle_max_deg);
  if (r.tampered) std::printf("WARNING: %zu pairs reported a tampered record\n", r.tampered);
}

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "TAR / FAR with 95% Wilson intervals on labelled templates");
  struct Opts {
    EngineFlags engine;
    ProtocolFlags protocol;
    std::string templates, labels, mode = "exact", sweep;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  o->protocol.add_to(*cmd);
  cmd->add_option("--templates", o->templates, "float32 .npy, one template per row")->required();
  cmd->add_option("--labels", o->labels, "text file, one identity name per row")->required();
  cmd->add_option("--mode", o->mode, "exact: real enrollment and verification; fast: distributional model of P (large n)")
      ->check(CLI::IsMember({"exact", "fast"}))->capture_default_str();
  cmd->add_option("--sweep", o->sweep,
                  "configurations (a file, or a list such as \"alpha=12 enroll-samples=3; alpha=16\"): one JSON line "
                  "each; keys n, alpha, enroll-samples, probe-frames, reserve, expander, app-key-file");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    const auto data = read_labelled(o->templates, o->labels);
    const auto mode = eval::parse_mode(o->mode);
    const eval::Protocol protocol = o->protocol.resolve();
    auto run = [&](const EngineFlags& flags, const eval::Protocol& proto, Engine& engine) {
      const auto r = eval::evaluate_protocol(engine, data.x.data(), data.x.rows(), data.labels, proto, mode);
      auto j = eval_json(r, engine, flags, proto, o->mode);
      j["config"]["templates"] = o->templates;
      j["config"]["labels"] = o->labels;
      return std::make_pair(r, j);
    };
    if (o->sweep.empty()) {
      auto engine = o->engine.make(uint32_t(data.x.cols()));
      eval::make_units(data.labels, protocol);  // protocol errors before the log line
      std::fprintf(stderr, "eval: protocol %s, mode %s, on %s\n", protocol.name(), o->mode.c_str(),
                   engine->device_name().c_str());
      const auto [r, j] = run(o->engine, protocol, *engine);
      if (o->json) return print_json(j);
      return print_text(r, *engine, o->engine, protocol, o->mode);
    }
    // Every configuration is checked (keys, engine, protocol against the data) before the first runs, so a bad one
    // fails the command before anything is written.
    const auto configs = eval::read_sweep(o->sweep, base_config(o->engine, protocol));
    for (const auto& c : configs) {
      flags_for(o->engine, c).make(uint32_t(data.x.cols()));  // built and dropped: an expander's weights are large
      eval::make_units(data.labels, c.protocol);
    }
    for (size_t i = 0; i < configs.size(); ++i) {
      std::fprintf(stderr, "eval: configuration %zu/%zu: %s\n", i + 1, configs.size(), configs[i].text.c_str());
      const EngineFlags flags = flags_for(o->engine, configs[i]);
      auto engine = flags.make(uint32_t(data.x.cols()));
      auto [r, j] = run(flags, configs[i].protocol, *engine);
      j["config"]["sweep"] = configs[i].text;
      std::cout << j.dump() << std::endl;  // one line per configuration, flushed as it completes
    }
  });
}

}  // namespace spheremask::cli
