// `spheremask expander init | train | inspect`: SMTE weights files (DESIGN §3).
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/expander_inspect.hpp"
#include "spheremask/expander_train.hpp"
#include "expander/template_expander.hpp"

namespace spheremask::cli {
namespace {

nlohmann::json parse_summary(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return {{"previous_summary_text", text}};
  return j;
}

void add_init(CLI::App& parent) {
  auto* cmd = parent.add_subcommand("init", "Haar / semi-orthogonal weights from the ChaCha20 stream of a seed");
  struct Opts { uint32_t m = 0, n = 0; std::string seed = "1", out; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--m", o->m, "template (input) dimension")->required();
  cmd->add_option("--n", o->n, "code (output) dimension")->required();
  cmd->add_option("--seed", o->seed, "public seed: a number or 64 hex digits")->capture_default_str();
  cmd->add_option("--out", o->out, "output .smte file")->required();
  cmd->callback([o] {
    const auto w = init_expander(o->m, o->n, seed_from_text(o->seed));
    const auto id = save_expander(o->out, w);
    std::cerr << "expander m=" << o->m << " n=" << o->n << " written to " << o->out << "\n";
    std::cout << "id " << to_hex(id.data(), 32) << "\n";
  });
}

void add_train(CLI::App& parent) {
  auto* cmd = parent.add_subcommand("train", "train the body W0…W4 (forward and backward as GEMMs, on the CPU or a CUDA GPU)");
  struct Opts {
    std::string in, out, objective = "gram", optimizer = "sgd", backend = "auto";
    TrainOptions t;
    size_t print_every = 1;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--in", o->in, "input .smte")->required();
  cmd->add_option("--out", o->out, "output .smte")->required();
  cmd->add_option("--steps", o->t.steps, "optimizer steps (published recipe: 15)")->capture_default_str();
  cmd->add_option("--batch", o->t.batch, "rows per step (0 = 256 for gram, max(256, 4(m+1)) for pairs)")->capture_default_str();
  cmd->add_option("--lr", o->t.lr, "learning rate (published recipe: 0.01 with sgd)")->capture_default_str();
  cmd->add_option("--seed", o->t.seed, "batch sampling seed")->capture_default_str();
  cmd->add_option("--objective", o->objective,
                  "gram: Gram MSE on random unit 2n-vectors (published recipe); pairs: template-space pairs at a spread of angles")
      ->check(CLI::IsMember({"gram", "pairs"}))->capture_default_str();
  cmd->add_option("--optimizer", o->optimizer, "sgd (published recipe) or adam")->check(CLI::IsMember({"sgd", "adam"}))
      ->capture_default_str();
  cmd->add_option("--residual-weight", o->t.residual_weight,
                  "pairs only: reward w·(affine-fit residual)²; 0 = most isometric and most linear, larger = less linear, "
                  "more angle error")->capture_default_str();
  cmd->add_option("--max-pair-angle", o->t.max_pair_angle_deg, "pairs: neighbour angles uniform in [0, this] degrees")
      ->capture_default_str();
  cmd->add_option("--backend", o->backend,
                  "cpu, cuda, or auto = cuda when n >= " + std::to_string(kTrainGpuMinN) + " and a CUDA device exists")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  cmd->add_option("--device", o->t.device, "CUDA device ordinal")->capture_default_str();
  cmd->add_option("--print-every", o->print_every, "progress line every K steps")->capture_default_str();
  cmd->callback([o] {
    o->t.objective = parse_objective(o->objective);
    o->t.optimizer = parse_optimizer(o->optimizer);
    o->t.backend = parse_backend(o->backend);
    std::array<uint8_t, 32> in_id{};
    auto w = read_expander_file(o->in, &in_id);
    const std::string parent_id = to_hex(in_id.data(), 32);
    const auto before = evaluate_objective(w, o->t);
    std::fprintf(stderr, "training m=%u n=%u objective=%s optimizer=%s steps=%zu lr=%g residual_weight=%g backend=%s\n",
                 w.m, w.n, o->objective.c_str(), o->optimizer.c_str(), o->t.steps, double(o->t.lr), o->t.residual_weight,
                 backend_name(train_backend(w, o->t)));
    std::fprintf(stderr, "held-out loss before: %.6f\n", before.loss);
    const auto start = std::chrono::steady_clock::now();
    const auto result = train_expander(w, o->t, [&](const TrainStep& s) {
      if (s.step % std::max<size_t>(o->print_every, 1) != 0 && s.step != o->t.steps) return;
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (s.residual >= 0)
        std::fprintf(stderr, "step %zu/%zu loss %.6f gram %.6f residual %.3f (%.1fs)\n", s.step, o->t.steps, s.loss,
                     s.gram_loss, s.residual, secs);
      else
        std::fprintf(stderr, "step %zu/%zu loss %.6f (%.1fs)\n", s.step, o->t.steps, s.loss, secs);
    });
    const double train_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "trained on %s: %zu steps in %.2fs\n", backend_name(result.backend), o->t.steps, train_secs);
    const auto after = evaluate_objective(w, o->t);
    std::fprintf(stderr, "held-out loss after: %.6f\n", after.loss);
    auto summary = parse_summary(w.summary);
    summary["training"].push_back({{"parent_id", parent_id},
                                   {"objective", o->objective},
                                   {"optimizer", o->optimizer},
                                   {"steps", o->t.steps},
                                   {"batch", o->t.batch},
                                   {"lr", o->t.lr},
                                   {"seed", o->t.seed},
                                   {"residual_weight", o->t.residual_weight},
                                   {"max_pair_angle_deg", o->t.max_pair_angle_deg},
                                   {"backend", backend_name(result.backend)},
                                   {"first_step_loss", result.first_loss},
                                   {"last_step_loss", result.last_loss},
                                   {"held_out_loss_before", before.loss},
                                   {"held_out_loss_after", after.loss}});
    w.summary = summary.dump();
    const auto id = save_expander(o->out, w);
    std::cout << "id " << to_hex(id.data(), 32) << "\n";
  });
}

void add_inspect(CLI::App& parent) {
  auto* cmd = parent.add_subcommand("inspect", "angle distortion and linear residual of an expander");
  struct Opts { std::string file; InspectOptions io; bool json = false, summary = false; };
  auto o = std::make_shared<Opts>();
  cmd->add_option("file", o->file, ".smte file")->required();
  cmd->add_option("--seed", o->io.seed, "seed of the random template pairs")->capture_default_str();
  cmd->add_option("--pairs", o->io.pairs_per_angle, "pairs per input angle")->capture_default_str();
  cmd->add_option("--residual-samples", o->io.residual_samples, "templates for the affine fit (0 = max(4096, 16(m+1)))");
  cmd->add_option("--angles", o->io.angles_deg, "input angles in degrees")->capture_default_str();
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    const auto e = load_expander(o->file);
    const auto& w = dynamic_cast<const internal::TemplateExpander&>(*e).weights();
    const auto r = inspect_expander(*e, o->io);
    nlohmann::json j = {{"m", r.m}, {"n", r.n}, {"arch", w.arch}, {"id", to_hex(e->id().data(), 32)},
                        {"linear_residual", r.linear_residual}, {"distortion", nlohmann::json::array()},
                        {"summary", parse_summary(w.summary)}};
    for (const auto& d : r.distortion)
      j["distortion"].push_back({{"input_deg", d.input_deg}, {"mean_output_deg", d.mean_output_deg},
                                 {"mean_abs_error_deg", d.mean_abs_error_deg}, {"p99_abs_error_deg", d.p99_abs_error_deg}});
    if (o->json) return print_json(j);
    std::printf("expander %s  arch %s  m=%u n=%u\nid %s\nlinear residual %.3f (0 = affine map)\n", o->file.c_str(),
                w.arch.c_str(), r.m, r.n, j["id"].get<std::string>().c_str(), r.linear_residual);
    std::printf("%10s %14s %14s %14s\n", "input deg", "mean out deg", "mean |err|", "p99 |err|");
    for (const auto& d : r.distortion)
      std::printf("%10.1f %14.2f %14.2f %14.2f\n", d.input_deg, d.mean_output_deg, d.mean_abs_error_deg, d.p99_abs_error_deg);
  });
}

}  // namespace

void add_expander_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("expander", "template expander weights: init, train, inspect");
  cmd->require_subcommand(1);
  add_init(*cmd);
  add_train(*cmd);
  add_inspect(*cmd);
}

}  // namespace spheremask::cli
