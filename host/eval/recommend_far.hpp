// Operating point by measured FAR: among candidate configurations with at least `bits` effective bits that no attack
// of DESIGN §3 breaks, the one with the highest TAR whose measured FAR is certified at most the target on calibration
// data. Rule: the FAR's upper bound must be ≤ the target, not just the point estimate. The bound is the larger of the
// 95% Wilson interval's upper end (pairs as independent trials: with I impostor pairs nothing below about 3.84 / I can
// be certified) and the identity-bootstrap interval's (protocol.hpp: pairs sharing a person are correlated, and a few
// look-alike people make most false accepts). Both are estimates from the calibration people only: re-measure on
// held-out people before deploying (tests/test_recommend_far.cpp does).
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eval/protocol.hpp"
#include "eval/sweep_config.hpp"
#include "tools/security_estimate.hpp"
#include "spheremask/engine.hpp"

namespace spheremask::eval {

struct Candidate {
  SweepConfig config;
  double code_bits = 0, effective_bits = 0;
  std::string excluded;  // why it was not eligible; empty = eligible and measured
  ProtocolResult measured;
  bool certified = false;  // certifies_far(measured, target)
};

struct FarRecommendation {
  std::vector<Candidate> candidates;
  std::optional<size_t> chosen;  // index into candidates
};

// Why an attack of DESIGN §3 breaks records of this configuration, or empty when none does. Today: an expander without
// an application key (structural inversion recovers c and then t). A check that runs `attack invert` on the
// configuration belongs here.
std::string attack_exclusion(const SweepConfig& c);

// The certification rule above.
bool certifies_far(const ProtocolResult& r, double target_far);

using EngineFactory = std::function<std::unique_ptr<Engine>(const SweepConfig&)>;

// Plain n = m configurations from the smallest α with `bits` effective bits (templates of dimension m) up to
// `extra` more, each with base's protocol; empty when no α ≤ 64 reaches `bits`.
std::vector<SweepConfig> default_candidates(uint32_t m, double bits, const SweepConfig& base, uint32_t extra,
                                            const security::EstimateOptions& est);

FarRecommendation recommend_by_far(const float* templates, size_t rows, const std::vector<std::string>& labels,
                                   double target_far, double bits, const std::vector<SweepConfig>& candidates,
                                   const EngineFactory& make, Mode mode, const security::EstimateOptions& est);

}  // namespace spheremask::eval
