// `spheremask attack link`: PLRA (Zhu & Wang, PoPETs 2025): several records of one person under one
// transform are linked and inverted by guessing rows orthogonal to the template and regressing. Runs on
// a directory of records, or as a self-contained experiment (--synthetic), and prints the paper's cost
// formula for the configuration.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

#include "attack/plra.hpp"
#include "attack/plra_experiment.hpp"
#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::cli {

namespace {

struct LinkOpts {
  std::string records;  // a directory, or with --synthetic the number of records
  bool synthetic = false;
  bool estimate_only = false;
  uint32_t n = 64, alpha = 6;
  double noise_deg = 0;
  uint32_t rows = 0;
  uint64_t max_trials = 0;
  double max_seconds = 0;
  uint64_t seed = 1;
  std::string keys = "none";
  std::string app_key_file;
  std::string expander;
  bool allow_weak = false;
  bool json = false;
};

const char* kFormula =
    "E[regressions] = 1/(P_k*P_f), log2(1/P_k) = sum_j log2(C(n,k_j)/C(n-alpha,k_j)) over the k_j rows guessed in "
    "record j; E[time] = t_solve(n, rows) * E[regressions] (Zhu & Wang, PoPETs 2025(4), expected attack time of "
    "the Section 5 experiments, Tables 1 and 3; P_f = 1 here, a lower bound: the paper measures P_f < 1 with noise)";

// log2 of the expected regressions for `rows` rows over `records` records; an error when a record would have
// to give more rows than it has outside its support.
double log2_trials_for(uint32_t n, uint32_t alpha, size_t records, uint32_t rows) {
  const double r = attack::plra_log2_trials(n, alpha, attack::plra_split_rows(rows, records));
  if (!std::isfinite(r))
    throw Error(ErrorCode::InvalidArgument, std::to_string(rows) + " rows over " + std::to_string(records) +
                                                " records exceed the n - alpha rows outside a support: more records are needed");
  return r;
}

// A progress bar's total: the expected regressions, capped.
size_t bar_total(double log2_trials) { return size_t(std::exp2(std::min(log2_trials, 40.0))) + 1; }

nlohmann::json estimate(uint32_t n, uint32_t alpha, size_t records, uint32_t rows) {
  const auto split = attack::plra_split_rows(rows, records);
  const double log2_trials = log2_trials_for(n, alpha, records, rows);
  const double t_solve = attack::plra_time_solve(n, rows);  // CPU seconds, one thread
  const double log2_seconds = log2_trials + std::log2(t_solve);
  return {{"formula", kFormula},
          {"n", n},
          {"alpha", alpha},
          {"records", records},
          {"rows", rows},
          {"rows_per_record_max", split.empty() ? 0u : split.front()},
          {"log2_trials", log2_trials},
          {"cpu_seconds_per_solve", t_solve},
          {"log2_cpu_seconds", log2_seconds},
          {"expected_cpu_seconds", std::exp2(log2_seconds)},
          {"expected_cpu_years", std::exp2(log2_seconds) / (365.25 * 86400.0)}};
}

void print_estimate(const nlohmann::json& e) {
  std::printf("cost (paper's formula) at n=%u alpha=%u, %zu records, %u rows/regression: 2^%.1f regressions x %.3g CPU s = 2^%.1f CPU s (%.3g years, one core)\n",
              e["n"].get<uint32_t>(), e["alpha"].get<uint32_t>(), e["records"].get<size_t>(), e["rows"].get<uint32_t>(),
              e["log2_trials"].get<double>(), e["cpu_seconds_per_solve"].get<double>(), e["log2_cpu_seconds"].get<double>(),
              e["expected_cpu_years"].get<double>());
  std::printf("  %s\n", kFormula);
}

}  // namespace

void add_attack_link_command(CLI::App& attack) {
  auto* cmd = attack.add_subcommand("link", "PLRA: link and invert several records of one person (Zhu & Wang, PoPETs 2025)");
  auto o = std::make_shared<LinkOpts>();
  cmd->add_option("--records", o->records, "directory of .smhd records of one person; with --synthetic, how many to enroll")
      ->required();
  cmd->add_flag("--synthetic", o->synthetic, "enroll --records records of one synthetic person and attack them");
  cmd->add_flag("--estimate-only", o->estimate_only, "with --synthetic: print the cost formula only (no enrollment, no attack)");
  cmd->add_option("--n", o->n, "with --synthetic: dimension")->capture_default_str();
  cmd->add_option("--alpha", o->alpha, "with --synthetic: nonzeros per codeword")->capture_default_str();
  cmd->add_option("--noise-deg", o->noise_deg, "angle between renewals and the person's center, degrees (sets the rows)")
      ->capture_default_str();
  cmd->add_option("--rows", o->rows, "equations per regression (default: from --noise-deg, the paper's choices)");
  cmd->add_option("--max-trials", o->max_trials, "regressions before giving up (default: 20 x expected, >= 1000)");
  cmd->add_option("--max-seconds", o->max_seconds, "give up after this many seconds (0 = no limit)");
  cmd->add_option("--seed", o->seed, "seed of the attacker's guesses; with --synthetic also of the person and records")
      ->capture_default_str();
  cmd->add_option("--keys", o->keys, "with --synthetic: application keys of the records: none, same or different")
      ->check(CLI::IsMember({"none", "same", "different"}))->capture_default_str();
  cmd->add_option("--app-key-file", o->app_key_file,
                  "with --records DIR: the application key (32 raw bytes or 64 hex digits), to check the recovered template "
                  "with an engine bound to it (the attack itself never uses it)");
  cmd->add_option("--expander", o->expander,
                  "with --records DIR made through an expander: the public expander (.smte), to pull the recovered "
                  "code-space vector back to a template the engine can judge (the attack itself never uses it)");
  cmd->add_flag("--allow-weak", o->allow_weak, "read records under 80 bits");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    nlohmann::json j;
    attack::PlraOptions po;
    po.rows = o->rows;
    po.noise_deg = o->noise_deg;
    po.max_trials = o->max_trials;
    po.max_seconds = o->max_seconds;
    po.seed = o->seed;
    if (!(o->noise_deg >= 0 && o->noise_deg < 90)) throw Error(ErrorCode::InvalidArgument, "--noise-deg must be within 0..90");
    std::optional<Progress> bar;
    std::optional<attack::PlraResult> result;
    std::optional<size_t> accepted;
    std::string unmeasured;  // why the engine could not judge the recovered vector, when it could not
    size_t count = 0;
    uint32_t n = 0, alpha = 0;
    if (o->synthetic) {
      if (!o->app_key_file.empty()) throw Error(ErrorCode::InvalidArgument, "--synthetic makes its own keys (--keys); --app-key-file is for --records DIR");
      if (!o->expander.empty()) throw Error(ErrorCode::InvalidArgument, "--synthetic enrolls without an expander; --expander is for --records DIR");
      size_t pos = 0;
      unsigned long k = 0;
      try { k = std::stoul(o->records, &pos); } catch (const std::exception&) { pos = 0; }
      if (pos != o->records.size() || k < 2 || k > 100000)
        throw Error(ErrorCode::InvalidArgument, "with --synthetic, --records is the number of records (2..100000)");
      count = k;
      n = o->n;
      alpha = o->alpha;
      if (n < 2 || n > 4096 || alpha < 1 || alpha >= n) throw Error(ErrorCode::InvalidArgument, "--n must be 2..4096 and 1 <= --alpha < n");
      const uint32_t rows = o->rows ? o->rows : attack::plra_rows_for_noise(n, o->noise_deg);
      j["estimate"] = estimate(n, alpha, count, rows);
      if (!o->estimate_only) {
        attack::PlraExperiment e;
        e.n = n;
        e.alpha = alpha;
        e.records = uint32_t(count);
        e.noise_deg = o->noise_deg;
        e.seed = o->seed;
        e.keys = o->keys == "same" ? attack::PlraKeys::Same : o->keys == "different" ? attack::PlraKeys::Different : attack::PlraKeys::None;
        bar.emplace("attack link", bar_total(j["estimate"]["log2_trials"].get<double>()));
        po.progress = [&bar](uint64_t t) { bar->update(size_t(t)); };
        e.attack = po;
        auto r = attack::run_plra_experiment(e);
        result.emplace(std::move(r.attack));
        accepted = r.accepted;
      }
      j["mode"] = "synthetic";
      j["keys"] = o->keys;
    } else {
      if (o->estimate_only) throw Error(ErrorCode::InvalidArgument, "--estimate-only goes with --synthetic");
      const auto records = load_record_dir(o->records, o->allow_weak);
      count = records.size();
      if (count < 2) throw Error(ErrorCode::InvalidArgument, o->records + " holds " + std::to_string(count) + " records; PLRA needs at least two");
      n = records[0].n;
      alpha = records[0].alpha;
      std::optional<attack::AppKey> key;
      if (!o->app_key_file.empty()) key = read_app_key_file(o->app_key_file);
      const std::shared_ptr<const Expander> expander = o->expander.empty() ? nullptr : load_expander(o->expander);
      unmeasured = attack::plra_acceptance_blocker(records, key, expander.get());  // a wrong expander throws here
      const uint32_t rows = o->rows ? o->rows : attack::plra_rows_for_noise(n, o->noise_deg);
      bar.emplace("attack link", bar_total(log2_trials_for(n, alpha, count, rows)));
      po.progress = [&bar](uint64_t t) { bar->update(size_t(t)); };
      result.emplace(attack::plra_attack(records, po));
      if (unmeasured.empty()) accepted = result->linked ? attack::plra_accepted(records, result->code_vector, key, expander) : 0;
      if (key) secure_zero(key->data(), key->size());
      j["estimate"] = estimate(n, alpha, count, result->rows);
      j["mode"] = "records";
    }
    if (bar) bar->finish();
    j["n"] = n;
    j["alpha"] = alpha;
    j["records"] = count;
    j["noise_deg"] = o->noise_deg;
    if (result) {
      j["rows"] = result->rows;
      j["linked"] = result->linked;
      j["opened"] = result->opened_count;
      if (accepted) j["accepted"] = *accepted;
      else j["accepted_not_measured"] = unmeasured;
      j["trials"] = result->trials;
      j["seconds"] = result->seconds;
      j["cpu_seconds"] = result->cpu_seconds;
      j["cpu_seconds_per_trial"] = result->trials ? result->cpu_seconds / double(result->trials) : 0.0;
      j["log2_expected_trials"] = result->log2_expected_trials;
    }
    if (o->json) return print_json(j);
    if (result) {
      std::printf("PLRA on %zu records (n=%u, alpha=%u, %u rows per regression): %s; %zu of %zu records opened "
                  "(codeword recovered, key released)",
                  count, n, alpha, result->rows, result->linked ? "LINKED" : "not linked", result->opened_count, count);
      if (accepted) std::printf("; engine accepts the recovered template for %zu", *accepted);
      else std::printf("; acceptance not measured: %s", unmeasured.c_str());
      std::printf("\n  work: %llu regressions in %.2f s (%.2f s CPU; expected 2^%.1f = %.0f)\n",
                  (unsigned long long)result->trials, result->seconds, result->cpu_seconds, result->log2_expected_trials,
                  std::exp2(result->log2_expected_trials));
    }
    print_estimate(j["estimate"]);
  });
}

}  // namespace spheremask::cli
