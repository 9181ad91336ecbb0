// Evaluation protocols with several images per claim (DESIGN §3 "Multi-sample enrollment").
//   all-pairs (the default): every genuine pair (a, b), a < b, enrolls row a and probes with row b; impostor pairs are
//     seeded row pairs of different identities (eval.hpp make_pairs). Single images on both sides.
//   samples: per identity, a seeded shuffle of its rows (a stream of its own, so adding or removing another identity
//     changes nothing here). The first `reserve` (≥ K, default K) shuffled rows are kept for enrollment and the record is
//     the normalized mean of the first K of them. The rows after the reserve, in shuffled order, are cut into consecutive
//     disjoint groups of F (the leftover < F is dropped); each group is one probe, the normalized mean of its F frames.
//     Identities with fewer than reserve + F rows are left out. Genuine pairs: each record with every probe of its own
//     identity; impostor pairs: a seeded sample (with replacement) of records against probes of other identities.
//     A fixed reserve (e.g. 5) gives every K ≤ reserve the same identities and the same probes: a paired comparison.
// The unprotected cosine matcher sees exactly the same (mean) templates, so its TAR at the same FAR is comparable.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "eval/far_interval.hpp"
#include "tools/eval.hpp"

namespace spheremask::eval {

struct Protocol {
  bool samples = false;         // false: all-pairs; true: the samples protocol above
  uint32_t enroll_samples = 1;  // K
  uint32_t probe_frames = 1;    // F
  uint32_t reserve = 0;         // rows kept for enrollment per identity; 0 = K
  size_t impostors = 10000;
  size_t max_per_identity = 0;  // all-pairs: first C rows per identity; samples: at most C probes per identity (0 = all)
  uint64_t seed = 1;
  // samples protocol, K ≥ 3: enroll with the library's outlier rejection (multi_sample.hpp CombineOptions: a sample
  // further than this from the mean of the others is dropped; a record whose samples would all be dropped keeps the
  // plain mean and is counted in outlier_refused_records); 0 = the plain normalized mean.
  double outlier_deg = 0;
  const char* name() const { return samples ? "samples" : "all-pairs"; }
  uint32_t reserved() const { return reserve ? reserve : enroll_samples; }
};

// Enrolled records and probes as groups of template rows; pairs index into `units`.
struct UnitSet {
  std::vector<std::vector<uint32_t>> units;
  PairSet pairs;
  size_t identities = 0, records = 0, probes = 0;
};

// Throws Error{InvalidArgument} for K or F = 0, reserve < K, or when fewer than two identities have reserve + F rows
// (the message names the largest identity's row count).
UnitSet make_units(const std::vector<std::string>& labels, const Protocol& p);

// normalize(Σ normalize(row)) of `count` rows; throws Error{InvalidArgument} naming the row when one is zero or not finite.
void normalized_mean(const float* templates, uint32_t m, const uint32_t* rows, size_t count, float* out);

// One template per unit: a unit of one row is that row unchanged (so single images reproduce the single-image numbers bit
// for bit), a larger unit its normalized mean.
std::vector<float> unit_templates(const float* templates, size_t rows, uint32_t m,
                                  const std::vector<std::vector<uint32_t>>& units);

struct ProtocolResult {
  Result result;
  size_t identities = 0, records = 0, probes = 0;
  // far_interval.hpp, next to result.far_ci (Wilson, pairs as independent trials): the identity bootstraps (1,000
  // replicates each; one-way: people resampled once for both sides; crossed: record side and probe side resampled
  // independently) and the bound from the number of distinct pairs of people.
  Interval far_ci_identity, far_ci_crossed;
  UnitInterval far_units;
  // The largest of the four upper ends: what a FAR claim should quote.
  double far_upper() const {
    return std::max({result.far_ci.hi, far_ci_identity.hi, far_ci_crossed.hi, far_units.ci.hi});
  }
  size_t dropped_samples = 0;          // enrollment samples outlier rejection dropped (all records together)
  size_t outlier_refused_records = 0;  // records whose samples rejection would all drop: kept as the plain mean
};

// Builds the units of the protocol and evaluates them (eval.hpp evaluate) with p.seed.
ProtocolResult evaluate_protocol(Engine& engine, const float* templates, size_t rows, const std::vector<std::string>& labels,
                                 const Protocol& p, Mode mode);

}  // namespace spheremask::eval
