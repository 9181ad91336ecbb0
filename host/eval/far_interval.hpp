// Intervals for a false-accept rate measured on impostor pairs that are not independent trials.
// Impostor pairs are drawn between people: pair k compares the record of person r_k with a probe of person p_k, and the
// same people recur in many pairs (with ~100 people and 40,000 pairs each (record person, probe person) combination is
// drawn about four times). False accepts come from look-alike people, so they cluster: two accepts may be one pair of
// look-alikes seen twice. The Wilson interval (pairs as independent trials) is then far too narrow, and so is a
// bootstrap when only a handful of accepts were seen. Four views, and a claim quotes the largest upper end:
//   * pairs:   Wilson on accepted / pairs (eval.hpp wilson);
//   * people:  a bootstrap over people, one multiplicity per person on both sides (a pair weighs the product of its
//              two people's multiplicities): people are the independent draws;
//   * crossed: a two-way ("pigeonhole") bootstrap: the record-side people and the probe-side people are resampled
//              independently; it sees people who are easy to match (or match everyone) on either side;
//   * units:   the count of independent units: the distinct unordered pairs of people {r, p}. The effective sample size
//              is the pair count divided by the design effect of those clusters, and never more than the number of
//              units; Wilson on that effective count. With no accepts it is Wilson's 0-of-units bound (≈ 3.84 / units),
//              not 0-of-pairs: when accepts are rare the interval is driven by how many people-pairs were looked at.
// All intervals are two-sided 95%; certification uses the upper ends (one-sided 97.5%).
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "tools/eval.hpp"

namespace spheremask::eval {

// (person behind the record, person behind the probe) of every impostor pair; people are 0 … people − 1.
using PairPeople = std::vector<std::pair<uint32_t, uint32_t>>;

enum class Resample {
  People,   // one multiplicity per person, used on both sides (one-way)
  Crossed,  // record side and probe side resampled independently (two-way)
};

// Percentile interval (2.5, 97.5) of `replicates` seeded bootstrap replicates of the FAR. `accepted` indexes pair_people.
Interval bootstrap_far(const PairPeople& pair_people, size_t people, const std::vector<uint32_t>& accepted,
                       size_t replicates, uint64_t seed, Resample how);

struct UnitInterval {
  Interval ci;
  size_t units = 0;         // distinct unordered pairs of people
  size_t unit_events = 0;   // of those, the ones with at least one accepted pair
  double effective_n = 0;   // the sample size the interval is computed on
};
UnitInterval unit_far(const PairPeople& pair_people, const std::vector<uint32_t>& accepted);

}  // namespace spheremask::eval
