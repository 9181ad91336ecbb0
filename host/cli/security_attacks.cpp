#include "cli/security_attacks.hpp"

#include <cstdio>
#include <string>

#include "attack/invert_run.hpp"

namespace spheremask::cli {

nlohmann::json attacks_section(const security::Estimate& est, const std::shared_ptr<const Expander>& e,
                               const AttackOptions& o) {
  nlohmann::json a = {{"code_bits", est.code_bits}, {"cap_bits", est.cap_bits}};
  nlohmann::json inv;
  if (e) {
    if (o.records == 0) {
      inv = {{"measured", false}, {"reason", "--attack-records 0"}};
    } else {
      const auto r = attack::measure_invert(e, est.alpha, o.records, 1, o.threads);
      inv = {{"measured", true},
             {"records", r.records},
             {"inverted", r.inverted},
             {"median_seconds", r.median_seconds},
             {"model_seconds", r.model_seconds},
             {"outside_energy", r.outside_energy},
             {"application_key", "none (key-less records, the attacker holds the public expander)"}};
    }
  } else if (est.n == est.m) {
    inv = {{"measured", false},
           {"reason", "plain IronMask (n = m): the code space is the template space, the structural attack has no subspace to search"}};
  } else {
    inv = {{"measured", false},
           {"reason", "n > m needs an expander: pass --expander to measure; key-less expander records fall to `attack invert`, "
                      "so bind them to a secret application key"}};
  }
  a["invert"] = inv;
  a["dictionary"] = "not measured here: `spheremask attack dictionary --templates REAL.npy` gives -log2 of the per-attempt "
                    "false-accept rate of real faces, a floor no template protection raises";
  const bool broken = inv.value("measured", false) && inv["inverted"].get<size_t>() > 0;
  a["broken_without_app_key"] = broken;
  a["application_key_assumed"] = o.assume_app_key;
  a["broken"] = broken && !o.assume_app_key;
  return a;
}

bool broken_by_invert(const nlohmann::json& attacks) { return attacks.value("broken", false); }

void print_attacks(const nlohmann::json& a) {
  std::printf("attacks: %.1f code bits; random-template (cap) bound %.1f bits\n", a["code_bits"].get<double>(),
              a["cap_bits"].get<double>());
  const auto& inv = a["invert"];
  if (inv.value("measured", false)) {
    std::printf("  attack invert: %zu of %zu fresh key-less records inverted (median %.2f s per record, model %.1f s; "
                "%.1f%% of the expander's output energy outside the best (m+1)-dim subspace)%s\n",
                inv["inverted"].get<size_t>(), inv["records"].get<size_t>(), inv["median_seconds"].get<double>(),
                inv["model_seconds"].get<double>(), 100.0 * inv["outside_energy"].get<double>(),
                inv["inverted"].get<size_t>() > 0 ? ": WITHOUT A SECRET APPLICATION KEY THE CODE BITS DO NOT HOLD" : "");
  } else {
    std::printf("  attack invert: not measured (%s)\n", inv["reason"].get<std::string>().c_str());
  }
  std::printf("  attack dictionary: %s\n", a["dictionary"].get<std::string>().c_str());
}

}  // namespace spheremask::cli
