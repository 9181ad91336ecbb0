// Honest security of a configuration (DESIGN §3 attacks and the cap bound).
//   θ50: the angle at which a probe is accepted with probability ½. In code space it follows from the
//   distributional model P·t' ~ cosθ·c + sinθ·z (z uniform on the sphere ⟂ c): each Monte-Carlo trial
//   has a critical angle below which decoding returns c, so θ50 is their median (seeded, not secret).
//   With an expander, θ50 is measured in INPUT angles by pushing template pairs through it.
//   Effective bits: −log2 P[a uniformly random unit template of dimension m is accepted], bounded by
//   the spherical cap of angle θ50: cap(θ) = ½·I_{sin²θ}((m−1)/2, ½) (θ ≤ 90°). Reported next to the
//   code size; the effective security of the pipeline is the smaller of the two.
//   List decoding (EngineOptions::list_decoding) leaves the record, and so the offline brute force over
//   codewords (code bits), unchanged. A random template is then accepted by the plain decoder or by
//   falling within the list angle τ: the cap bound becomes −log2(2^−cap(θ50) + cap(τ)) (with an expander τ is
//   a code-space angle, taken as the input angle). An online attempt tests up to max_candidates codewords:
//   online_bits = code bits − log2(max_candidates).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/expander.hpp"

namespace spheremask::security {

struct EstimateOptions {
  size_t trials = 10000;       // Monte-Carlo trials for the code-space acceptance curve
  size_t expander_pairs = 200; // template pairs per input angle when an expander is given
  uint64_t seed = 1;
  ListDecoding list;  // off: the plain decoder
};

// Sorted critical code-space angles (degrees) of `trials` seeded trials.
std::vector<double> critical_angles(uint32_t n, uint32_t alpha, size_t trials, uint64_t seed);
// Fraction of trials whose critical angle exceeds angle_deg (the acceptance probability at that angle).
double accept_probability(const std::vector<double>& sorted_critical, double angle_deg);
double theta50_code_deg(uint32_t n, uint32_t alpha, const EstimateOptions& o = {});

// Input-space θ50 through an expander, by bisection on the mean acceptance of seeded pairs.
double theta50_input_deg(const Expander& e, const std::vector<double>& sorted_critical, const EstimateOptions& o = {});

// log2 of the fraction of S^{m−1} within angle_deg of a point.
double log2_cap_fraction(uint32_t m, double angle_deg);

struct Estimate {
  uint32_t m = 0, n = 0, alpha = 0;
  double code_bits = 0;
  double theta50_code_deg = 0;
  double theta50_input_deg = 0;  // = code angle without an expander (isometric assumption)
  double cap_bits = 0;           // −log2 cap(θ50 input, m)
  double effective_bits = 0;     // min(code_bits, cap_bits)
  bool with_expander = false;
  double list_angle_deg = 0;     // list decoding (0 = off) and its cap
  uint32_t list_max = 1;
  double online_bits = 0;        // code_bits − log2(list_max): one online attempt's guessing bound

};

Estimate estimate(uint32_t m, uint32_t n, uint32_t alpha, const Expander* e, const EstimateOptions& o = {});

// code_bits − log2(codewords a list decoder tries per probe): what one online attempt faces (code_bits when off).
double online_bits(double code_bits, const ListDecoding& list);

// The widest list angle (degrees, to 0.01) whose cap alone leaves at least bits + 1 bits for templates of dimension
// m (the extra bit pays for the union with the plain decoder's region); 0 when none.
double widest_list_angle(uint32_t m, double bits);

// Among n ∈ {512, 1024, 2048, 4096, 8192} (or the expander's n) and α ∈ 1…64, the (n, α) with the widest
// input-space θ50 whose effective bits are at least `bits`; nullopt when none qualifies.
std::optional<Estimate> recommend(uint32_t m, double bits, const Expander* e, const EstimateOptions& o = {});

}  // namespace spheremask::security
