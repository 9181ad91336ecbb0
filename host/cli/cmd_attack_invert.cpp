// `spheremask attack invert`: structural inversion of expander records (DESIGN §3 "Attacks"): from public
// record fields and the public expander (plus, for the control run, an application key the attacker was
// given), recover a template the engine accepts, which releases the enrolled key.
#include <algorithm>
#include <cstdio>

#include "attack/invert_run.hpp"
#include "cli/attack_records.hpp"
#include "cli/cli_common.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::cli {

void add_attack_invert_command(CLI::App& attack) {
  auto* cmd = attack.add_subcommand("invert", "structural inversion of expander records (recover an accepted template)");
  struct Opts {
    std::string records, store, expander, app_key_file, method = "all";
    size_t limit = 0;
    int threads = 0;
    bool json = false, allow_weak = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--records", o->records, "directory of .smhd records");
  cmd->add_option("--store", o->store, "SQLite store of records")->excludes("--records");
  cmd->add_option("--expander", o->expander, "the public expander (.smte) the records were made with");
  cmd->add_option("--app-key-file", o->app_key_file, "control run: an application key the attacker holds (32 raw bytes or 64 hex digits)");
  cmd->add_option("--method", o->method, "greedy, l1 or all (the mean leak is always tried first)")->capture_default_str();
  cmd->add_option("--limit", o->limit, "attack at most this many records (0 = all)");
  cmd->add_option("--threads", o->threads, "records attacked in parallel (0 = all cores)");
  cmd->add_flag("--allow-weak", o->allow_weak, "read records whose codes have under 80 bits (tests)");
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->callback([o] {
    attack::InvertRunOptions run;
    run.invert.method = attack::parse_method(o->method);
    run.threads = o->threads;
    if (!o->app_key_file.empty()) run.app_key = read_app_key_file(o->app_key_file);
    if (!o->expander.empty()) run.expander = load_expander(o->expander);
    const NamedRecords in = load_attack_records(o->records, o->store, o->allow_weak, o->limit);
    Progress progress("attack invert", in.records.size());
    run.progress = [&](size_t done) { progress.update(done); };
    const attack::InvertReport report = attack::invert_records(in.records, run);
    progress.finish();
    if (run.app_key) secure_zero(run.app_key->data(), run.app_key->size());

    size_t inverted = 0, found = 0;
    std::vector<double> secs;
    nlohmann::json results = nlohmann::json::array();
    for (size_t i = 0; i < report.verdicts.size(); ++i) {
      const auto& v = report.verdicts[i];
      inverted += v.inverted;
      found += v.found;
      secs.push_back(v.seconds);
      nlohmann::json r = {{"record", in.names[i]},       {"inverted", v.inverted}, {"codeword_found", v.found},
                          {"method", v.method},          {"seconds", v.seconds},   {"candidates", v.candidates},
                          {"app_binding", v.app_binding}};
      if (!v.note.empty()) r["note"] = v.note;
      results.push_back(r);
    }
    std::sort(secs.begin(), secs.end());
    const double median = secs.empty() ? 0 : (secs.size() % 2 ? secs[secs.size() / 2]
                                                               : 0.5 * (secs[secs.size() / 2 - 1] + secs[secs.size() / 2]));
    const Record& r0 = in.records[0];
    if (o->json)
      return print_json({{"records", in.records.size()},
                         {"inverted", inverted},
                         {"codewords_found", found},
                         {"median_seconds", median},
                         {"m", r0.m}, {"n", r0.n}, {"alpha", r0.alpha}, {"code_bits", code_bits(r0.n, r0.alpha)},
                         {"model", {{"seconds", report.model_seconds}, {"outside_energy", report.outside_energy},
                                    {"affine_residual", report.affine_residual}}},
                         {"results", results}});
    for (const auto& r : results) {
      std::printf("%s: %s (method %s, %.2f s, %zu candidates", r["record"].get<std::string>().c_str(),
                  r["inverted"].get<bool>() ? "INVERTED, the engine accepts the recovered template and releases its key"
                                            : (r["codeword_found"].get<bool>() ? "codeword recovered" : "not inverted"),
                  r["method"].get<std::string>().c_str(), r["seconds"].get<double>(), r["candidates"].get<size_t>());
      if (r["app_binding"] != "none") std::printf(", application key %s", r["app_binding"].get<std::string>().c_str());
      std::printf(")\n");
    }
    std::printf("%zu of %zu records inverted (median %.2f s per record) for C(%u, %u) = %.1f code bits\n", inverted,
                in.records.size(), median, r0.n, r0.alpha, code_bits(r0.n, r0.alpha));
    if (run.expander)
      std::printf("expander model fitted in %.1f s: %.1f%% of its output energy lies outside the best %u-dim subspace\n",
                  report.model_seconds, 100.0 * report.outside_energy, r0.m + 1);
  });
}

}  // namespace spheremask::cli
