// PLRA, the probabilistic linear regression attack on several IronMask records of one person
// (Zhu & Wang, "Hypersphere Secure Sketch Revisited", PoPETs 2025(4)).
//
// Record j holds an orthogonal P_j with P_j·t_j = c_j, where t_j is the (prepared) template enrolled
// that time and c_j has α nonzeros. The n − α rows of P_j outside supp(c_j) are orthogonal to t_j, and
// so nearly orthogonal to every t_i of the same person. Guess k_j rows of each record (they all miss the
// supports with probability Π_j C(n−α, k_j)/C(n, k_j)), stack them into A and take the direction that
// A maps closest to zero (least-squares null vector): when the guess was right it is close to t, and
// decoding P_j·x then yields c_j, which the record's public verifier confirms. The attacker uses only
// public record fields: P, salt, verifier.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "spheremask/record.hpp"

namespace spheremask::attack {

struct PlraOptions {
  uint32_t rows = 0;        // equations per regression; 0 = plra_rows_for_noise(n, noise_deg)
  double noise_deg = 0;     // the attacker's assumption on the angle between renewals and the person's center
  uint64_t max_trials = 0;  // regressions before giving up; 0 = 20 × the expected count (at least 1000)
  double max_seconds = 0;   // 0 = no limit
  uint64_t seed = 1;        // the attacker's (non-secret) row guesses
  std::function<void(uint64_t trials)> progress;  // called every few hundred regressions
};

struct PlraResult {
  bool linked = false;             // one vector opened at least two records (all of them when there are two)
  std::vector<uint8_t> opened;     // per record: its codeword was recovered (decode matched the verifier)
  size_t opened_count = 0;
  std::vector<float> code_vector;  // unit, n: the person's recovered code-space template (empty if not linked)
  uint64_t trials = 0;             // regressions solved
  double seconds = 0;               // wall clock
  double cpu_seconds = 0;           // CPU time of the process (the shared build machines are oversubscribed)
  uint32_t rows = 0;
  std::vector<uint32_t> rows_per_record;
  double log2_expected_trials = 0;  // the formula's log2(1 / P_k) for this split (P_f = 1)
  ~PlraResult();                    // wipes code_vector
};

// Every record must have the same n and α and no expander; at least two records.
PlraResult plra_attack(std::span<const Record> records, const PlraOptions& options);

// Cost model of the paper (the expected-time estimate of its §5 experiments, Tables 1 and 3, as computed in
// the authors' artifact, svd.ipynb): E[regressions] = 1 / (P_k · P_f) with
//   log2(1/P_k) = Σ_j log2( C(n, k_j) / C(n − α, k_j) )
// (k_j rows guessed in record j; Σ k_j = rows ≥ n − 1) and P_f the chance that a right guess passes the
// check (≈ 1 without noise, measured in the paper with noise); E[time] = t_solve(n, rows) · E[regressions].
double plra_log2_trials(uint32_t n, uint32_t alpha, std::span<const uint32_t> rows_per_record);
// rows split as evenly as possible over `records` records (rows ≥ records: each gets ≥ 1); records beyond
// `rows` get none.
std::vector<uint32_t> plra_split_rows(uint32_t rows, size_t records);
// Equations per regression for a noise angle: the paper's choices at n = 512 (0° → 511, 8.7° → 531,
// 14° → 551, 19° → 591, 26° → 671, 30° → 771, 36° → 911; artifact svd.ipynb), linear in the angle
// between them and scaled by n / 512; never fewer than n − 1.
uint32_t plra_rows_for_noise(uint32_t n, double noise_deg);
// Median CPU seconds of one regression (Gram matrix and its least eigenvector, one BLAS thread) at this size,
// measured here.
double plra_time_solve(uint32_t n, uint32_t rows, int repeats = 3);

}  // namespace spheremask::attack
