// A self-contained PLRA experiment: enroll several records of one synthetic person (renewals from
// templates at a set angle around one center), attack them with plra_attack, and ask the engine whether
// it accepts the recovered template; plus that acceptance check for records the attacker brings.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attack/plra.hpp"
#include "spheremask/expander.hpp"
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
// the code-space template is S_appᵀ·u under a key, u itself without; for records made through an expander
// (pass it) that vector is TE(t), pulled back to a template t* through the expander as `attack invert` does
// (affine model, then gauss_newton_steps steps; attack/pull_back.hpp). Records bound to another key are not
// counted. Throws Error{InvalidArgument} for expander records without their expander, Error{Mismatch} for
// the wrong one.
size_t plra_accepted(std::span<const Record> records, const std::vector<float>& u, const std::optional<AppKey>& key,
                     std::shared_ptr<const Expander> expander = nullptr, int gauss_newton_steps = 3);

// Why no engine can judge the recovered vector against these records, or "" when plra_accepted can:
// expander records without their expander, or no record bound to the key the attacker holds (or to none).
// Throws Error{Mismatch} when the records mix expanders or `expander` is not theirs.
std::string plra_acceptance_blocker(std::span<const Record> records, const std::optional<AppKey>& key,
                                    const Expander* expander);

}  // namespace spheremask::attack
