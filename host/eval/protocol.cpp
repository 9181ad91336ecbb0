#include "eval/protocol.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "expander/expander_rng.hpp"
#include "spheremask/error.hpp"
#include "spheremask/multi_sample.hpp"

namespace spheremask::eval {
namespace {

void check_protocol(const Protocol& p) {
  if (p.enroll_samples < 1)
    throw Error(ErrorCode::InvalidArgument, "eval: enroll samples must be at least 1 (got 0)");
  if (p.probe_frames < 1) throw Error(ErrorCode::InvalidArgument, "eval: probe frames must be at least 1 (got 0)");
  if (p.reserved() < p.enroll_samples)
    throw Error(ErrorCode::InvalidArgument, "eval: reserve " + std::to_string(p.reserve) + " is smaller than enroll samples " +
                                                std::to_string(p.enroll_samples));
}

// Fisher–Yates shuffle from a stream keyed by the identity's name: its draw does not depend on other identities.
std::vector<uint32_t> shuffled(std::vector<uint32_t> rows, const std::string& identity, uint64_t seed) {
  internal::SimRng rng("eval/draw/" + identity, seed);
  for (size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[rng.below(uint32_t(i))]);
  return rows;
}

// Records (the first set.records units) recombined with the library's outlier rejection, in place in t. A record whose
// samples all disagree (rejection would drop every one: `enroll` refuses it) keeps the plain mean and is counted.
void enroll_robust(const float* templates, uint32_t m, const UnitSet& set, const Protocol& p, std::vector<float>& t,
                   ProtocolResult& out) {
  CombineOptions o;
  o.outlier_deg = p.outlier_deg;
  std::vector<float> rows;
  for (size_t u = 0; u < set.records; ++u) {
    rows.clear();
    for (uint32_t r : set.units[u]) rows.insert(rows.end(), templates + size_t(r) * m, templates + size_t(r + 1) * m);
    const uint32_t size = uint32_t(set.units[u].size());
    try {
      const auto combined = combine_groups(rows.data(), m, {&size, 1}, o);
      std::copy(combined.rows.begin(), combined.rows.end(), t.begin() + u * m);
      out.dropped_samples += combined.dropped[0].size();
    } catch (const Error& e) {
      if (e.code() != ErrorCode::InvalidArgument) throw;
      ++out.outlier_refused_records;
    }
  }
}

}  // namespace

UnitSet make_units(const std::vector<std::string>& labels, const Protocol& p) {
  UnitSet out;
  if (!p.samples) {
    out.pairs = make_pairs(labels, p.impostors, p.seed, p.max_per_identity);
    out.units.resize(labels.size());
    for (uint32_t i = 0; i < labels.size(); ++i) out.units[i] = {i};
    std::map<std::string, int> names;
    for (const auto& l : labels) names[l];
    out.identities = names.size();
    out.records = out.probes = labels.size();
    return out;
  }
  check_protocol(p);
  std::map<std::string, std::vector<uint32_t>> by_identity;
  for (uint32_t i = 0; i < labels.size(); ++i) by_identity[labels[i]].push_back(i);
  const size_t need = size_t(p.reserved()) + p.probe_frames;
  size_t largest = 0;
  // Per identity: its record unit and its probe units.
  struct Taken { std::vector<uint32_t> record; std::vector<std::vector<uint32_t>> probes; };
  std::vector<Taken> taken;
  for (const auto& [name, rows] : by_identity) {
    largest = std::max(largest, rows.size());
    if (rows.size() < need) continue;
    const auto order = shuffled(rows, name, p.seed);
    Taken t;
    t.record.assign(order.begin(), order.begin() + p.enroll_samples);
    for (size_t s = p.reserved(); s + p.probe_frames <= order.size(); s += p.probe_frames) {
      if (p.max_per_identity && t.probes.size() == p.max_per_identity) break;
      t.probes.emplace_back(order.begin() + s, order.begin() + s + p.probe_frames);
    }
    taken.push_back(std::move(t));
  }
  if (taken.size() < 2)
    throw Error(ErrorCode::InvalidArgument,
                "eval: " + std::to_string(taken.size()) + " identities have the " + std::to_string(need) +
                    " images the protocol needs (reserve " + std::to_string(p.reserved()) + " + probe frames " +
                    std::to_string(p.probe_frames) + "); at least 2 are needed and the largest identity has " +
                    std::to_string(largest));
  // Units: every record first (unit index = identity slot), then every probe.
  std::vector<uint32_t> probe_owner;
  for (const auto& t : taken) out.units.push_back(t.record);
  for (uint32_t id = 0; id < taken.size(); ++id)
    for (const auto& probe : taken[id].probes) {
      out.pairs.genuine.push_back({id, uint32_t(out.units.size())});
      probe_owner.push_back(id);
      out.units.push_back(probe);
    }
  out.identities = out.records = taken.size();
  out.probes = probe_owner.size();
  if (p.impostors > 0) {
    internal::SimRng rng("eval/impostors", p.seed);
    const uint32_t first_probe = uint32_t(out.records);
    while (out.pairs.impostor.size() < p.impostors) {
      const uint32_t record = rng.below(uint32_t(out.records)), probe = rng.below(uint32_t(out.probes));
      if (probe_owner[probe] != record) out.pairs.impostor.push_back({record, first_probe + probe});
    }
  }
  return out;
}

void normalized_mean(const float* templates, uint32_t m, const uint32_t* rows, size_t count, float* out) {
  std::vector<double> sum(m, 0.0);
  for (size_t k = 0; k < count; ++k) {
    const float* t = templates + size_t(rows[k]) * m;
    double norm2 = 0;
    for (uint32_t j = 0; j < m; ++j) norm2 += double(t[j]) * t[j];
    if (!std::isfinite(norm2)) throw Error(ErrorCode::InvalidArgument, "template row " + std::to_string(rows[k]) + " is not finite");
    if (norm2 == 0) throw Error(ErrorCode::InvalidArgument, "template row " + std::to_string(rows[k]) + " is zero");
    const double inv = 1.0 / std::sqrt(norm2);
    for (uint32_t j = 0; j < m; ++j) sum[j] += t[j] * inv;
  }
  double norm2 = 0;
  for (double v : sum) norm2 += v * v;
  if (!(norm2 > 0))
    throw Error(ErrorCode::InvalidArgument, "the templates of rows " + std::to_string(rows[0]) + "… sum to zero");
  const double inv = 1.0 / std::sqrt(norm2);
  for (uint32_t j = 0; j < m; ++j) out[j] = float(sum[j] * inv);
}

std::vector<float> unit_templates(const float* templates, size_t rows, uint32_t m,
                                  const std::vector<std::vector<uint32_t>>& units) {
  std::vector<float> out(units.size() * size_t(m));
  for (size_t u = 0; u < units.size(); ++u) {
    for (uint32_t r : units[u])
      if (r >= rows) throw Error(ErrorCode::InvalidArgument, "eval: unit refers to a row past the templates");
    float* dst = out.data() + u * m;
    if (units[u].size() == 1)
      std::copy_n(templates + size_t(units[u][0]) * m, m, dst);
    else
      normalized_mean(templates, m, units[u].data(), units[u].size(), dst);
  }
  return out;
}

ProtocolResult evaluate_protocol(Engine& engine, const float* templates, size_t rows, const std::vector<std::string>& labels,
                                 const Protocol& p, Mode mode) {
  if (labels.size() != rows)
    throw Error(ErrorCode::InvalidArgument, "eval: " + std::to_string(labels.size()) + " labels for " + std::to_string(rows) +
                                                " template rows");
  const UnitSet set = make_units(labels, p);
  ProtocolResult out;
  out.identities = set.identities;
  out.records = set.records;
  out.probes = set.probes;
  if (!p.samples) {
    out.result = evaluate(engine, templates, rows, set.pairs, mode, p.seed);
  } else {
    const uint32_t m = engine.params().m;
    auto t = unit_templates(templates, rows, m, set.units);
    if (p.outlier_deg > 0) enroll_robust(templates, m, set, p, t, out);
    out.result = evaluate(engine, t.data(), set.units.size(), set.pairs, mode, p.seed);
  }
  // The person behind every impostor pair's record and probe (only people that appear), for the intervals over people.
  std::map<std::string, uint32_t> person;
  PairPeople pair_people;
  pair_people.reserve(set.pairs.impostor.size());
  const auto index_of = [&](uint32_t unit) {
    return person.emplace(labels[set.units[unit][0]], uint32_t(person.size())).first->second;
  };
  for (const auto& [a, b] : set.pairs.impostor) {
    const uint32_t pa = index_of(a);
    pair_people.push_back({pa, index_of(b)});
  }
  const auto& accepted = out.result.accepted_impostors;
  out.far_ci_identity = bootstrap_far(pair_people, person.size(), accepted, 1000, p.seed, Resample::People);
  out.far_ci_crossed = bootstrap_far(pair_people, person.size(), accepted, 1000, p.seed, Resample::Crossed);
  out.far_units = unit_far(pair_people, accepted);
  return out;
}

}  // namespace spheremask::eval
