// A self-contained PLRA experiment: enroll several records of one synthetic person (renewals from
// templates at a set angle around one center), attack them with plra_attack, and ask the engine whether
// it accepts the recovered template; plus that acceptance check for records the attacker brings.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "attack/plra.hpp"
#include "spheremask/record.hpp"

namespace spheremask::attack {

using AppKey = std::array<uint8_t, 32>;

enum class PlraKeys { None, Same, Different };  // application keys of the enrolled records

struct PlraExperiment {
  uint32_t n = 64;
  uint32_t alpha = 6;
  uint32_t records = 63;
  double noise_deg = 0;    // angle between each renewal's template and the person's center
  uint64_t seed = 1;       // the person, the (deterministic, insecure) enrollments, the keys, the guesses
  PlraKeys keys = PlraKeys::None;
  PlraOptions attack;      // attack.noise_deg defaults to noise_deg when rows are chosen automatically
};

struct PlraExperimentResult {
  PlraResult attack;
  size_t accepted = 0;     // records whose engine (holding the record's key, if any) accepts the recovered template
};

PlraExperimentResult run_plra_experiment(const PlraExperiment& e);

// Records that an engine with key (or without one) accepts for the recovered code-space vector u:
// the template is S_appᵀ·u under a key, u itself without. Records bound to another key are not counted.
// Plain records only (no expander: m = n).
size_t plra_accepted(std::span<const Record> records, const std::vector<float>& u, const std::optional<AppKey>& key);

}  // namespace spheremask::attack
