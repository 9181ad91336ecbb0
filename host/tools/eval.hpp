// Honest evaluation of a protection configuration on labelled templates: all genuine
// pairs (optionally capped per identity), a seeded sample of impostor pairs, TAR/FAR with 95% Wilson
// intervals and the unprotected cosine matcher at the same FAR.
//   exact: real enrollment (each enrolling template once, deterministic insecure seed) and verification.
//   fast:  the expander for real, then P·t' replaced by its exact distribution cosθ·c + sinθ·z with z
//          uniform on the unit sphere orthogonal to c, decoded and compared with c. O(n) per pair.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "spheremask/engine.hpp"

namespace spheremask::eval {

enum class Mode { Exact, Fast };
const char* mode_name(Mode m);
Mode parse_mode(const std::string& name);  // "exact" | "fast"

// (enrolled row, probe row)
using Pair = std::pair<uint32_t, uint32_t>;

struct PairSet {
  std::vector<Pair> genuine, impostor;
};

// labels[i] names the identity of row i. Genuine: every (a, b), a < b, among the first max_per_identity
// rows of each identity (0 = all). Impostor: `impostors` pairs of rows with different labels, drawn
// uniformly with replacement from a seeded stream.
PairSet make_pairs(const std::vector<std::string>& labels, size_t impostors, uint64_t seed, size_t max_per_identity);

std::vector<std::string> read_labels(const std::string& path);

struct Interval {
  double lo = 0, hi = 1;
};
// 95% Wilson score interval for k successes in n trials.
Interval wilson(size_t k, size_t n);
// The same formula for an effective (non-integer) count: k of n independent units, 0 ≤ k ≤ n.
Interval wilson_effective(double k, double n);

// TAR of the cosine matcher on genuine scores at the largest threshold whose FAR on impostor scores is
// at most `far` (accepting score > threshold).
double tar_at_far(std::vector<double> genuine_cos, std::vector<double> impostor_cos, double far);

// The cosine matcher's ROC/DET curve: for FAR targets log-spaced from 1/I to 1 (plus 0), the FAR and TAR it
// achieves at tar_at_far's threshold. Points are distinct and sorted by FAR.
struct CurvePoint {
  double far = 0, tar = 0;
};
std::vector<CurvePoint> baseline_curve(std::vector<double> genuine_cos, std::vector<double> impostor_cos,
                                       size_t points = 60);

// Where the protected matcher's soft acceptance and the cosine matcher's hard threshold part ways, on the genuine
// pairs: the cosine matcher at the protected FAR accepts exactly the genuine pairs under threshold_deg, the protected
// one accepts each with a probability that falls from 1 to 0 around its θ50. TAR(protected) − TAR(cosine) =
// (accepted_above − rejected_below) / genuine pairs.
struct AngleBin {
  double lo_deg = 0;  // the bin is [lo_deg, lo_deg + width)
  size_t pairs = 0, accepted = 0;
};
struct AngleDiagnostics {
  double threshold_deg = 0;                    // the cosine matcher's threshold at the protected FAR, as an angle
  double genuine_p10_deg = 0, genuine_median_deg = 0, genuine_p90_deg = 0;
  size_t rejected_below = 0;                   // genuine pairs under the threshold the protected matcher rejected
  size_t accepted_above = 0;                   // genuine pairs over it the protected matcher accepted
  double bin_width_deg = 5;
  std::vector<AngleBin> bins;                  // genuine pairs by angle: the measured acceptance curve
};

struct Result {
  size_t genuine_pairs = 0, impostor_pairs = 0;
  size_t genuine_accepted = 0, impostor_accepted = 0, tampered = 0;
  double tar = 0, far = 0;
  Interval tar_ci, far_ci;
  double baseline_tar_at_far = 0;
  std::vector<CurvePoint> baseline_curve;  // the cosine matcher on the same pairs
  std::vector<uint32_t> accepted_impostors;  // indices into the impostor pairs of those accepted
  double accepted_angle_mean_deg = 0, accepted_angle_max_deg = 0;
  AngleDiagnostics angles;
};

// templates: rows × engine.params().m, row-major.
Result evaluate(Engine& engine, const float* templates, size_t rows, const PairSet& pairs, Mode mode, uint64_t seed);

// Per-pair accept decisions (for tests): 1 = accepted.
std::vector<uint8_t> accept_exact(Engine& engine, const float* templates, size_t rows, const std::vector<Pair>& pairs,
                                  uint64_t seed);
std::vector<uint8_t> accept_fast(Engine& engine, const float* templates, size_t rows, const std::vector<Pair>& pairs,
                                 uint64_t seed);

}  // namespace spheremask::eval
