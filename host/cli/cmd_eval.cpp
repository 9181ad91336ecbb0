// `spheremask eval`: TAR/FAR of a configuration on labelled templates, next to the unprotected cosine
// matcher at the same FAR (issue 4, item 5). Evaluation only: enrollment uses an insecure seed.
#include <cstdio>
#include <iostream>

#include "cli_common.hpp"
#include "commands.hpp"
#include "eval.hpp"
#include "npy.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"

namespace spheremask::cli {

void add_eval_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval", "TAR / FAR with 95% Wilson intervals on labelled templates");
  struct Opts {
    EngineFlags engine;
    std::string templates, labels, mode = "exact";
    size_t impostors = 10000, max_per_identity = 0;
    uint64_t seed = 1;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  o->engine.add_to(*cmd);
  cmd->add_option("--templates", o->templates, "float32 .npy, one template per row")->required();
  cmd->add_option("--labels", o->labels, "text file, one identity name per row")->required();
  cmd->add_option("--impostors", o->impostors, "impostor pairs drawn (seeded, with replacement)")->capture_default_str();
  cmd->add_option("--seed", o->seed, "seed of the impostor sample, enrollment and fast-mode draws")->capture_default_str();
  cmd->add_option("--mode", o->mode, "exact: real enrollment and verification; fast: distributional model of P (large n)")
      ->check(CLI::IsMember({"exact", "fast"}))->capture_default_str();
  cmd->add_option("--max-per-identity", o->max_per_identity, "use at most C images per identity for genuine pairs (0 = all)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    const NpyMatrix x = NpyMatrix::open(o->templates);
    const auto labels = eval::read_labels(o->labels);
    if (labels.size() != x.rows())
      throw Error(ErrorCode::InvalidArgument, o->labels + " has " + std::to_string(labels.size()) + " labels for " +
                                                  std::to_string(x.rows()) + " template rows");
    auto engine = o->engine.make(uint32_t(x.cols()));
    const auto mode = eval::parse_mode(o->mode);
    const auto pairs = eval::make_pairs(labels, o->impostors, o->seed, o->max_per_identity);
    std::fprintf(stderr, "eval: %zu genuine and %zu impostor pairs, mode %s, on %s\n", pairs.genuine.size(),
                 pairs.impostor.size(), o->mode.c_str(), engine->device_name().c_str());
    const auto r = eval::evaluate(*engine, x.data(), x.rows(), pairs, mode, o->seed);
    const auto& p = engine->params();
    nlohmann::json config = {{"templates", o->templates}, {"labels", o->labels}, {"m", p.m}, {"n", p.n},
                             {"alpha", p.alpha}, {"code_bits", code_bits(p.n, p.alpha)}, {"mode", o->mode},
                             {"impostors", o->impostors}, {"seed", o->seed}, {"max_per_identity", o->max_per_identity},
                             {"backend", backend_name(engine->backend())}, {"dtype", o->engine.dtype},
                             {"expander", o->engine.expander.empty() ? nlohmann::json(nullptr) : nlohmann::json(o->engine.expander)},
                             {"expander_id", p.expander ? nlohmann::json(to_hex(p.expander->id().data(), 32)) : nlohmann::json(nullptr)}};
    nlohmann::json j = {{"tar", r.tar}, {"far", r.far}, {"tar_ci", {r.tar_ci.lo, r.tar_ci.hi}},
                        {"far_ci", {r.far_ci.lo, r.far_ci.hi}}, {"genuine_pairs", r.genuine_pairs},
                        {"impostor_pairs", r.impostor_pairs}, {"genuine_accepted", r.genuine_accepted},
                        {"impostor_accepted", r.impostor_accepted}, {"tampered", r.tampered},
                        {"baseline_tar_at_far", r.baseline_tar_at_far},
                        {"accepted_angle_mean_deg", r.accepted_angle_mean_deg},
                        {"accepted_angle_max_deg", r.accepted_angle_max_deg}, {"config", config}};
    if (o->json) return print_json(j);
    std::printf("C(%u, %u) %.1f bits, m=%u%s, mode %s\n", p.n, p.alpha, code_bits(p.n, p.alpha), p.m,
                p.expander ? (", expander " + o->engine.expander).c_str() : "", o->mode.c_str());
    std::printf("TAR %.4f [%.4f, %.4f]  (%zu / %zu genuine pairs)\n", r.tar, r.tar_ci.lo, r.tar_ci.hi, r.genuine_accepted,
                r.genuine_pairs);
    std::printf("FAR %.6f [%.6f, %.6f]  (%zu / %zu impostor pairs)\n", r.far, r.far_ci.lo, r.far_ci.hi, r.impostor_accepted,
                r.impostor_pairs);
    std::printf("unprotected cosine matcher at the same FAR: TAR %.4f\n", r.baseline_tar_at_far);
    std::printf("accepted genuine pairs: mean angle %.1f deg, max %.1f deg\n", r.accepted_angle_mean_deg,
                r.accepted_angle_max_deg);
    if (r.tampered) std::printf("WARNING: %zu pairs reported a tampered record\n", r.tampered);
  });
}

}  // namespace spheremask::cli
