#include "eval/far_interval.hpp"

#include <algorithm>
#include <cmath>

#include "expander/expander_rng.hpp"

namespace spheremask::eval {
namespace {

struct Cell {
  uint32_t a = 0, b = 0;
  double pairs = 0, accepts = 0;
};

// Pairs and accepts per (a, b) of people; unordered merges (r, p) with (p, r).
std::vector<Cell> cells_of(const PairPeople& pair_people, const std::vector<uint32_t>& accepted, bool unordered) {
  const auto key = [&](std::pair<uint32_t, uint32_t> k) {
    if (unordered && k.first > k.second) std::swap(k.first, k.second);
    return (uint64_t(k.first) << 32) | k.second;
  };
  std::vector<uint8_t> is_accepted(pair_people.size(), 0);
  for (uint32_t i : accepted) is_accepted.at(i) = 1;
  std::vector<std::pair<uint64_t, uint8_t>> keyed(pair_people.size());
  for (size_t k = 0; k < pair_people.size(); ++k) keyed[k] = {key(pair_people[k]), is_accepted[k]};
  std::sort(keyed.begin(), keyed.end());
  std::vector<Cell> out;
  for (const auto& [k, acc] : keyed) {
    if (out.empty() || ((uint64_t(out.back().a) << 32) | out.back().b) != k) out.push_back({uint32_t(k >> 32), uint32_t(k), 0, 0});
    out.back().pairs += 1;
    out.back().accepts += acc;
  }
  return out;
}

}  // namespace

Interval bootstrap_far(const PairPeople& pair_people, size_t people, const std::vector<uint32_t>& accepted,
                       size_t replicates, uint64_t seed, Resample how) {
  if (pair_people.empty() || people == 0 || replicates == 0) return {0, 1};
  const auto cells = cells_of(pair_people, accepted, false);
  internal::SimRng rng(how == Resample::People ? "eval/identity-bootstrap" : "eval/crossed-bootstrap", seed);
  std::vector<double> far(replicates);
  std::vector<uint32_t> w_record(people), w_probe(people);
  const auto draw = [&](std::vector<uint32_t>& w) {
    std::fill(w.begin(), w.end(), 0u);
    for (size_t d = 0; d < people; ++d) ++w[rng.below(uint32_t(people))];
  };
  for (size_t b = 0; b < replicates; ++b) {
    draw(w_record);
    if (how == Resample::Crossed) draw(w_probe);
    const auto& wp = how == Resample::Crossed ? w_probe : w_record;
    double all = 0, passed = 0;
    for (const Cell& c : cells) {
      const double w = double(w_record[c.a]) * wp[c.b];
      all += w * c.pairs;
      passed += w * c.accepts;
    }
    far[b] = all > 0 ? passed / all : 0;
  }
  std::sort(far.begin(), far.end());
  const size_t lo = size_t(std::floor(0.025 * double(replicates))), hi = size_t(std::ceil(0.975 * double(replicates))) - 1;
  return {far[lo], far[std::min(hi, replicates - 1)]};
}

UnitInterval unit_far(const PairPeople& pair_people, const std::vector<uint32_t>& accepted) {
  UnitInterval out;
  if (pair_people.empty()) return out;
  const auto cells = cells_of(pair_people, accepted, true);
  const double n = double(pair_people.size()), k = double(accepted.size()), far = k / n, units = double(cells.size());
  out.units = cells.size();
  for (const Cell& c : cells) out.unit_events += c.accepts > 0;
  double design = 1;  // variance of the ratio estimator over units (cluster-robust) / the binomial variance
  if (k > 0 && k < n && cells.size() > 1) {
    double ss = 0;
    for (const Cell& c : cells) ss += (c.accepts - far * c.pairs) * (c.accepts - far * c.pairs);
    const double clustered = units / (units - 1) * ss / (n * n), binomial = far * (1 - far) / n;
    design = std::max(1.0, clustered / binomial);
  }
  out.effective_n = std::min(units, n / design);
  out.ci = wilson_effective(far * out.effective_n, out.effective_n);
  return out;
}

}  // namespace spheremask::eval
