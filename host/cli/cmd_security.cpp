// `spheremask security`: code size in bits and minimum codeword angle, next to the acceptance-cliff
// angle θ50 and the effective security of the whole pipeline (security_estimate.hpp).
#include <cstdio>

#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"

#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/recommend_far.hpp"
#include "cli/security_attacks.hpp"
#include "tools/security_estimate.hpp"

namespace spheremask::cli {
namespace {

struct PaperCode { uint32_t n, alpha; };
constexpr PaperCode kPaperCodes[] = {{512, 11}, {512, 12}, {512, 13}, {512, 14}, {512, 15}, {512, 16}, {512, 17},
                                     {512, 18}, {1024, 14}, {2048, 12}, {4096, 10}, {8192, 10}};

nlohmann::json describe(uint32_t n, uint32_t alpha) {
  return {{"n", n}, {"alpha", alpha}, {"bits", code_bits(n, alpha)}, {"min_angle_deg", min_angle_deg(alpha)}};
}

// describe() plus θ50 (code and input space) and effective bits for templates of dimension m.
nlohmann::json describe_estimate(const security::Estimate& e) {
  auto j = describe(e.n, e.alpha);
  j["m"] = e.m;
  j["theta50_code_deg"] = e.theta50_code_deg;
  j["theta50_input_deg"] = e.theta50_input_deg;
  j["cap_bits"] = e.cap_bits;
  j["effective_bits"] = e.effective_bits;
  j["expander"] = e.with_expander ? "given" : "none (isometric assumption)";
  j["list_decoding"] = e.list_angle_deg > 0
                           ? nlohmann::json{{"max_angle_deg", e.list_angle_deg}, {"max_candidates", e.list_max},
                                            {"online_bits_per_attempt", e.online_bits}}
                           : nlohmann::json(nullptr);
  return j;
}

void print_rows(const nlohmann::json& rows) {
  std::printf("%6s %6s %10s %15s %12s %12s %15s\n", "n", "alpha", "code bits", "min angle (deg)", "theta50 code",
              "theta50 in", "effective bits");
  for (const auto& r : rows)
    std::printf("%6u %6u %10.1f %15.2f %12.2f %12.2f %15.1f\n", r["n"].get<uint32_t>(), r["alpha"].get<uint32_t>(),
                r["bits"].get<double>(), r["min_angle_deg"].get<double>(), r["theta50_code_deg"].get<double>(),
                r["theta50_input_deg"].get<double>(), r["effective_bits"].get<double>());
}

}  // namespace

void add_security_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("security", "code size (bits), minimum angle, theta50 and effective bits of C(n, alpha)");
  auto n = std::make_shared<uint32_t>(512);
  auto alpha = std::make_shared<uint32_t>(16);
  auto json = std::make_shared<bool>(false);
  auto table = std::make_shared<bool>(false);
  struct Extra { uint32_t m = 512; std::string expander; bool recommend = false; double bits = 112; security::EstimateOptions est;
                 RecommendFarFlags by_far; };
  auto x = std::make_shared<Extra>();
  cmd->add_option("--n", *n, "code dimension")->capture_default_str();
  cmd->add_option("--alpha", *alpha, "nonzeros per codeword")->capture_default_str();
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->add_flag("--table", *table, "the published configurations");
  cmd->add_option("--m", x->m, "template (input) dimension for the effective bits")->capture_default_str();
  cmd->add_option("--expander", x->expander, "measure theta50 in input angles through this expander (.smte)");
  cmd->add_flag("--recommend", x->recommend, "propose the (n, alpha) with the widest input theta50 that keeps --bits");
  cmd->add_option("--bits", x->bits, "effective bits wanted by --recommend")->capture_default_str();
  cmd->add_option("--trials", x->est.trials, "Monte-Carlo trials for theta50")->capture_default_str();
  cmd->add_option("--seed", x->est.seed, "Monte-Carlo seed (not secret)")->capture_default_str();
  cmd->add_option("--list-angle", x->est.list.max_angle_deg,
                  "list decoding: the verifier also tries every codeword within this angle (0 = off)")
      ->check(CLI::Range(0.0, 80.0));
  cmd->add_option("--list-max", x->est.list.max_candidates, "list decoding: codewords tried per probe")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  x->by_far.add_to(*cmd);
  auto atk = std::make_shared<AttackOptions>();
  cmd->add_option("--attack-records", atk->records, "fresh records `attack invert` is run on per configuration (with --expander; 0 = skip; --target-far needs >= 1 for candidates with an expander)")->capture_default_str();
  cmd->add_flag("--assume-app-key", atk->assume_app_key, "records will be bound to a secret application key: --recommend may then propose an expander that key-less records of it fall to");
  cmd->callback([=] {
    std::shared_ptr<const Expander> e;
    if (!x->expander.empty()) {
      e = load_expander(x->expander);
      if (e->input_dim() != x->m) x->m = e->input_dim();  // the expander fixes m
    }
    if (x->by_far.requested() && !x->recommend) throw Error(ErrorCode::InvalidArgument, "--target-far goes with --recommend");
    if (x->recommend && x->by_far.requested()) return x->by_far.run(x->bits, x->est, *json, atk->records);
    const auto with_attacks = [&](const security::Estimate& est) {
      auto j = describe_estimate(est);
      j["attacks"] = attacks_section(est, e, *atk);
      return j;
    };
    if (x->recommend) {
      const auto best = security::recommend(x->m, x->bits, e.get(), x->est);
      if (!best) throw Error(ErrorCode::InvalidArgument, "no (n, alpha) reaches " + std::to_string(x->bits) + " effective bits");
      const auto rec = with_attacks(*best);
      if (broken_by_invert(rec["attacks"])) {
        const auto& inv = rec["attacks"]["invert"];
        throw Error(ErrorCode::WeakParameters,
                    "no recommendation: C(" + std::to_string(best->n) + ", " + std::to_string(best->alpha) + ") through this expander falls to attack invert (" +
                        std::to_string(inv["inverted"].get<size_t>()) + " of " + std::to_string(inv["records"].get<size_t>()) +
                        " key-less records inverted); bind records to a secret application key (then pass --assume-app-key) or use no expander");
      }
      if (*json) return print_json(rec);
      std::printf("recommended for m=%u and >= %.0f effective bits%s:\n", x->m, x->bits,
                  e ? " through the expander" : " (isometric expander assumed)");
      print_rows(nlohmann::json::array({rec}));
      return print_attacks(rec["attacks"]);
    }
    if (*table) {
      nlohmann::json rows = nlohmann::json::array();
      for (const auto& c : kPaperCodes) {
        if (e && c.n != e->output_dim()) continue;  // an expander fixes n
        rows.push_back(with_attacks(security::estimate(x->m, c.n, c.alpha, e.get(), x->est)));
      }
      if (*json) return print_json(rows);
      std::printf("effective bits = min(code bits, -log2 cap(theta50 in, m=%u))%s\n", x->m,
                  e ? ", theta50 measured through the expander" : "; theta50 in = theta50 code (isometric expander assumed)");
      print_rows(rows);
      for (const auto& r : rows) {
        std::printf("C(%u, %u) ", r["n"].get<uint32_t>(), r["alpha"].get<uint32_t>());
        print_attacks(r["attacks"]);
      }
      return;
    }
    if (*alpha < 1 || *alpha >= *n) throw Error(ErrorCode::InvalidArgument, "need 1 <= alpha < n");
    const uint32_t code_n = e ? e->output_dim() : *n;
    const auto d = with_attacks(security::estimate(x->m, code_n, *alpha, e.get(), x->est));
    if (*json) return print_json(d);
    std::printf("C(%u, %u): %.1f bits of code size, minimum angle between codewords %.2f degrees\n", code_n, *alpha,
                d["bits"].get<double>(), d["min_angle_deg"].get<double>());
    std::printf("theta50 %.2f degrees in code space, %.2f degrees in input space%s\n", d["theta50_code_deg"].get<double>(),
                d["theta50_input_deg"].get<double>(), e ? "" : " (isometric expander assumed)");
    std::printf("effective security for m=%u: %.1f bits (random-template acceptance bound %.1f bits)\n", x->m,
                d["effective_bits"].get<double>(), d["cap_bits"].get<double>());
    if (!d["list_decoding"].is_null())
      std::printf("list decoding within %.2f degrees, up to %u codewords per probe: the record and offline brute force "
                  "are unchanged; the acceptance bound includes the %.2f-degree cap; one online attempt tests up to %u "
                  "codewords (%.1f bits per attempt)\n",
                  x->est.list.max_angle_deg, x->est.list.max_candidates, x->est.list.max_angle_deg,
                  x->est.list.max_candidates, d["list_decoding"]["online_bits_per_attempt"].get<double>());
    print_attacks(d["attacks"]);
  });
}

}  // namespace spheremask::cli
