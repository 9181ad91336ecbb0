// Operating point by measured FAR: among candidate configurations with at least `bits` effective bits that the
// measured attacks of DESIGN §3 do not break, the one with the highest TAR whose measured FAR is certified at most the
// target on calibration data. Rule: the FAR's upper bound must be ≤ the target, not just the point estimate. The bound
// is ProtocolResult::far_upper: the largest upper end of Wilson over pairs (with I impostor pairs nothing below about
// 3.84 / I can be certified), the one-way and crossed identity bootstraps and the bound from the distinct pairs of people
// (far_interval.hpp: pairs sharing a person are correlated, a few look-alike people make most false accepts, and with
// few accepts the number of pairs of people, not of pairs, limits what can be certified). All are estimates from the
// calibration people only: re-measure on held-out people before deploying (tests/tools/test_recommend_far.cpp and
// bench/far_coverage.py do).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attack/invert_run.hpp"
#include "eval/protocol.hpp"
#include "eval/sweep_config.hpp"
#include "tools/security_estimate.hpp"
#include "spheremask/engine.hpp"

namespace spheremask::eval {

// `attack invert` (attack/invert_run.hpp) run on fresh records of a candidate with an expander: records made exactly as
// the candidate would make them (bound to its application key when it has one), attacked by someone who holds the
// record and the public expander but not the key. For a keyed candidate the same records are also attacked holding
// the key: the control that shows the attack bites on this expander at all.
struct AttackCheck {
  bool measured = false;
  bool keyed = false;
  attack::InvertMeasurement without_key, with_key;  // with_key: measured only when keyed
  // The attack without the key recovered a codeword or a template the engine accepts.
  bool broken() const { return measured && (without_key.found > 0 || without_key.inverted > 0); }
};

struct Candidate {
  SweepConfig config;
  double code_bits = 0, effective_bits = 0;
  double online_bits = 0;  // code bits − log2(codewords tried per probe): the list decoder's cost per online attempt
  std::string excluded;  // why it was not eligible; empty = eligible and measured
  AttackCheck attack;
  ProtocolResult measured;
  bool certified = false;  // certifies_far(measured, target)
};

struct FarRecommendation {
  std::vector<Candidate> candidates;
  std::optional<size_t> chosen;  // index into candidates
};

// The certification rule above.
bool certifies_far(const ProtocolResult& r, double target_far);

// Why a configuration is refused before anything is measured, or empty: an expander without an application key
// (structural inversion recovers c and then t; `security` measures it).
std::string attack_exclusion(const SweepConfig& c);

// Runs the attack check on `records` fresh records of an engine's configuration (nothing to measure without an
// expander: plain IronMask's code space is its template space). Throws Error{InvalidArgument} for records = 0 when
// the engine has an expander: no candidate with an expander is recommended unattacked.
AttackCheck check_attacks(const Engine& engine, size_t records, int threads = 0);

using EngineFactory = std::function<std::unique_ptr<Engine>(const SweepConfig&)>;

// Plain n = m configurations from the smallest α with `bits` effective bits (templates of dimension m) up to
// `extra` more, each with base's protocol; then the smallest α with list decoding at each of `list_angles` (degrees)
// with base's list_max. Empty when no α ≤ 64 reaches `bits`.
std::vector<SweepConfig> default_candidates(uint32_t m, double bits, const SweepConfig& base, uint32_t extra,
                                            const security::EstimateOptions& est,
                                            const std::vector<double>& list_angles = {});

// List angles worth trying for n = m = `m` and the smallest α reaching `bits`: from just past that code's θ50 (where
// the plain decoder accepts half the probes) in steps of `step` degrees up to widest_list_angle(m, bits), at most
// `count` of them (spread evenly when more would fit). Empty when none fits.
std::vector<double> auto_list_angles(uint32_t m, double bits, const security::EstimateOptions& est, double step = 2,
                                     size_t count = 5);

// Per candidate: effective bits, then (with an expander) check_attacks with `attack_records` records, and only then the
// accuracy measurement; a candidate the attack breaks is refused with the measured numbers.
FarRecommendation recommend_by_far(const float* templates, size_t rows, const std::vector<std::string>& labels,
                                   double target_far, double bits, const std::vector<SweepConfig>& candidates,
                                   const EngineFactory& make, Mode mode, const security::EstimateOptions& est,
                                   size_t attack_records = 8);

}  // namespace spheremask::eval
