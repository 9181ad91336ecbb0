#include "tools/eval.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>

#include "crypto/crypto.hpp"
#include "expander/expander_rng.hpp"
#include "util/parallel.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/codeword.hpp"
#include "decode/list_decode.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/error.hpp"
#include "engine/template_prep.hpp"

namespace spheremask::eval {
namespace {

constexpr double kDeg = 57.29577951308232;

std::array<uint8_t, 32> seed_key(const char* label, uint64_t seed, uint64_t index) {
  const std::string l = std::string("spheremask/v1/eval/") + label;
  uint8_t b[16];
  detail::store_le64(b, seed);
  detail::store_le64(b + 8, index);
  return crypto::Sha256().update(l.data(), l.size()).update(b, 16).final();
}

std::vector<float> unit_rows(const float* templates, size_t rows, uint32_t m) {
  std::vector<float> t(templates, templates + rows * m);
  internal::normalize_rows(t.data(), rows, m, 0);
  return t;
}

double cosine(const float* a, const float* b, uint32_t dim) {
  double s = 0;
  for (uint32_t j = 0; j < dim; ++j) s += double(a[j]) * b[j];
  return std::clamp(s, -1.0, 1.0);
}

bool same_codeword(const detail::Codeword& a, const detail::Codeword& b) {
  if (a.alpha != b.alpha) return false;
  for (uint32_t k = 0; k < a.alpha; ++k)
    if (a.index[k] != b.index[k] || a.negative[k] != b.negative[k]) return false;
  return true;
}

void check_pairs(const std::vector<Pair>& pairs, size_t rows) {
  for (const auto& [a, b] : pairs)
    if (a >= rows || b >= rows) throw Error(ErrorCode::InvalidArgument, "eval: pair refers to a row past the templates");
}

}  // namespace

const char* mode_name(Mode m) { return m == Mode::Exact ? "exact" : "fast"; }
Mode parse_mode(const std::string& name) {
  if (name == "exact") return Mode::Exact;
  if (name == "fast") return Mode::Fast;
  throw Error(ErrorCode::InvalidArgument, "unknown eval mode '" + name + "' (exact or fast)");
}

PairSet make_pairs(const std::vector<std::string>& labels, size_t impostors, uint64_t seed, size_t max_per_identity) {
  PairSet out;
  std::map<std::string, std::vector<uint32_t>> by_identity;
  for (uint32_t i = 0; i < labels.size(); ++i) by_identity[labels[i]].push_back(i);
  for (auto& [name, rows] : by_identity) {
    const size_t k = max_per_identity ? std::min(max_per_identity, rows.size()) : rows.size();
    for (size_t a = 0; a < k; ++a)
      for (size_t b = a + 1; b < k; ++b) out.genuine.push_back({rows[a], rows[b]});
  }
  std::sort(out.genuine.begin(), out.genuine.end());
  if (impostors > 0) {
    if (by_identity.size() < 2) throw Error(ErrorCode::InvalidArgument, "eval: impostor pairs need two identities");
    internal::SimRng rng("eval/impostors", seed);
    const uint32_t n = uint32_t(labels.size());
    while (out.impostor.size() < impostors) {
      const uint32_t a = rng.below(n), b = rng.below(n);
      if (labels[a] != labels[b]) out.impostor.push_back({a, b});
    }
  }
  return out;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorCode::Io, path + ": cannot open");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    labels.push_back(line);
  }
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  return labels;
}

Interval wilson(size_t k, size_t n) { return wilson_effective(double(k), double(n)); }

Interval wilson_effective(double k, double n) {
  if (!(n > 0)) return {0, 1};
  const double z = 1.959963984540054, p = std::clamp(k / n, 0.0, 1.0), nn = n;
  const double denom = 1 + z * z / nn;
  const double center = (p + z * z / (2 * nn)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

double tar_at_far(std::vector<double> genuine_cos, std::vector<double> impostor_cos, double far) {
  if (genuine_cos.empty()) return 0;
  std::sort(impostor_cos.begin(), impostor_cos.end(), std::greater<>());
  // Accept score > threshold; at most k = ⌊far·I⌋ impostors may pass.
  const size_t k = size_t(std::floor(far * double(impostor_cos.size()) + 1e-9));
  const double threshold = k < impostor_cos.size() ? impostor_cos[k] : -2.0;
  size_t accepted = 0;
  for (double s : genuine_cos) accepted += s > threshold;
  return double(accepted) / double(genuine_cos.size());
}

std::vector<CurvePoint> baseline_curve(std::vector<double> genuine_cos, std::vector<double> impostor_cos,
                                       size_t points) {
  std::vector<CurvePoint> out;
  if (genuine_cos.empty() || impostor_cos.empty()) return out;
  std::sort(impostor_cos.begin(), impostor_cos.end(), std::greater<>());
  std::sort(genuine_cos.begin(), genuine_cos.end());
  const double total_i = double(impostor_cos.size()), total_g = double(genuine_cos.size());
  auto add = [&](size_t k) {  // the threshold that lets at most k impostors pass (accept score > threshold)
    const double threshold = k < impostor_cos.size() ? impostor_cos[k] : -2.0;
    const size_t passed_i = size_t(std::lower_bound(impostor_cos.begin(), impostor_cos.end(), threshold, std::greater<>()) -
                                   impostor_cos.begin());
    const size_t passed_g = size_t(genuine_cos.end() - std::upper_bound(genuine_cos.begin(), genuine_cos.end(), threshold));
    const CurvePoint p{double(passed_i) / total_i, double(passed_g) / total_g};
    if (out.empty() || p.far > out.back().far) out.push_back(p);
  };
  add(0);
  const double lo = std::log10(1.0 / total_i);
  for (size_t q = 0; q < points; ++q) {
    const double far = std::pow(10.0, lo + (0 - lo) * double(q) / double(points > 1 ? points - 1 : 1));
    add(size_t(std::floor(far * total_i + 1e-9)));
  }
  return out;
}

std::vector<uint8_t> accept_exact(Engine& engine, const float* templates, size_t rows, const std::vector<Pair>& pairs,
                                  uint64_t seed) {
  check_pairs(pairs, rows);
  const uint32_t m = engine.params().m;
  std::vector<size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pairs[a].first < pairs[b].first; });
  std::vector<uint8_t> out(pairs.size(), 0);
  EnrollOptions eo;
  eo.insecure_seed = seed_key("enroll", seed, 0);  // evaluation only: records are never kept
  std::vector<float> probe_rows;
  for (size_t k = 0; k < order.size();) {
    const uint32_t enrolled = pairs[order[k]].first;
    eo.first_index = enrolled;
    const auto records = engine.enroll(templates + size_t(enrolled) * m, 1, eo);
    size_t end = k;
    while (end < order.size() && pairs[order[end]].first == enrolled) ++end;
    // Every probe of this record, one verification each (the record is shared, never copied).
    for (size_t q = k; q < end; ++q) {
      const auto d = engine.verify(templates + size_t(pairs[order[q]].second) * m, 1, {&records[0], 1});
      out[order[q]] = d[0] == Decision::Accept ? 1 : d[0] == Decision::Tampered ? 2 : 0;
    }
    k = end;
  }
  return out;
}

std::vector<uint8_t> accept_fast(Engine& engine, const float* templates, size_t rows, const std::vector<Pair>& pairs,
                                 uint64_t seed) {
  check_pairs(pairs, rows);
  const uint32_t n = engine.params().n, alpha = engine.params().alpha;
  // Code-space vectors of every row a pair touches.
  std::vector<uint8_t> used(rows, 0);
  for (const auto& [a, b] : pairs) used[a] = used[b] = 1;
  std::vector<uint32_t> slot(rows, 0), touched;
  for (uint32_t i = 0; i < rows; ++i)
    if (used[i]) { slot[i] = uint32_t(touched.size()); touched.push_back(i); }
  const uint32_t m = engine.params().m;
  std::vector<float> gathered(touched.size() * size_t(m));
  for (size_t k = 0; k < touched.size(); ++k)
    std::copy_n(templates + size_t(touched[k]) * m, m, gathered.data() + k * m);
  const std::vector<float> u = engine.prepare(gathered.data(), touched.size());
  std::vector<uint8_t> out(pairs.size(), 0);
  internal::parallel_for(pairs.size(), internal::resolve_threads(0), [&](size_t begin, size_t end, int) {
    std::vector<float> y(n), z(n);
    detail::Codeword c, decoded;
    const ListDecoding& listing = engine.options().list_decoding;
    auto list = listing.enabled() ? std::make_unique<internal::ListDecoder>(listing) : nullptr;
    for (size_t p = begin; p < end; ++p) {
      const auto [a, b] = pairs[p];
      const float* ua = u.data() + size_t(slot[a]) * n;
      const float* ub = u.data() + size_t(slot[b]) * n;
      const double cos_t = cosine(ua, ub, n), sin_t = std::sqrt(std::max(0.0, 1 - cos_t * cos_t));
      const auto key = seed_key("codeword", seed, a);  // one codeword per enrolled row, as in exact mode
      detail::sample_codeword(key.data(), n, alpha, &c);
      std::fill(y.begin(), y.end(), 0.0f);
      const float amp = float(1.0 / std::sqrt(double(alpha)));
      for (uint32_t q = 0; q < alpha; ++q) y[c.index[q]] = c.negative[q] ? -amp : amp;
      internal::SimRng rng("eval/fast-z/" + std::to_string(p), seed);
      rng.unit_orthogonal(y.data(), z.data(), n);
      for (uint32_t j = 0; j < n; ++j) y[j] = float(cos_t * y[j] + sin_t * z[j]);
      if (list) {  // the engine's list decoder: accepted when c is among the candidates
        bool found = false;
        list->enumerate(y.data(), n, alpha, [&](const detail::Codeword& d) { found = found || same_codeword(c, d); });
        out[p] = found ? 1 : 0;
      } else {
        out[p] = detail::decode_codeword(y.data(), n, alpha, &decoded) && same_codeword(c, decoded) ? 1 : 0;
      }
    }
  });
  return out;
}

namespace {

// The threshold is tar_at_far's: the (⌊far·I⌋+1)-th largest impostor cosine; genuine pairs above it in cosine pass.
AngleDiagnostics angle_diagnostics(const std::vector<double>& gcos, const std::vector<uint8_t>& decisions,
                                   std::vector<double> icos, double far) {
  AngleDiagnostics d;
  if (gcos.empty()) return d;
  std::sort(icos.begin(), icos.end(), std::greater<>());
  const size_t k = size_t(std::floor(far * double(icos.size()) + 1e-9));
  const double threshold = k < icos.size() ? icos[k] : -2.0;
  d.threshold_deg = std::acos(std::clamp(threshold, -1.0, 1.0)) * kDeg;
  std::vector<double> angles(gcos.size());
  for (size_t i = 0; i < gcos.size(); ++i) {
    angles[i] = std::acos(std::clamp(gcos[i], -1.0, 1.0)) * kDeg;
    const bool accepted = decisions[i] == 1;
    if (gcos[i] > threshold && !accepted) ++d.rejected_below;
    if (gcos[i] <= threshold && accepted) ++d.accepted_above;
    const size_t bin = size_t(angles[i] / d.bin_width_deg);
    if (d.bins.size() <= bin) d.bins.resize(bin + 1);
    ++d.bins[bin].pairs;
    d.bins[bin].accepted += accepted;
  }
  for (size_t b = 0; b < d.bins.size(); ++b) d.bins[b].lo_deg = double(b) * d.bin_width_deg;
  std::sort(angles.begin(), angles.end());
  const auto at = [&](double q) { return angles[std::min(angles.size() - 1, size_t(q * double(angles.size())))]; };
  d.genuine_p10_deg = at(0.1);
  d.genuine_median_deg = at(0.5);
  d.genuine_p90_deg = at(0.9);
  return d;
}

}  // namespace

Result evaluate(Engine& engine, const float* templates, size_t rows, const PairSet& pairs, Mode mode, uint64_t seed) {
  const uint32_t m = engine.params().m;
  Result r;
  r.genuine_pairs = pairs.genuine.size();
  r.impostor_pairs = pairs.impostor.size();
  auto run = [&](const std::vector<Pair>& p) {
    return mode == Mode::Exact ? accept_exact(engine, templates, rows, p, seed) : accept_fast(engine, templates, rows, p, seed);
  };
  const auto g = run(pairs.genuine);
  const auto i = run(pairs.impostor);
  const std::vector<float> t = unit_rows(templates, rows, m);
  std::vector<double> gcos(g.size()), icos(i.size());
  for (size_t k = 0; k < g.size(); ++k) {
    gcos[k] = cosine(t.data() + size_t(pairs.genuine[k].first) * m, t.data() + size_t(pairs.genuine[k].second) * m, m);
    if (g[k] == 2) ++r.tampered;
    if (g[k] != 1) continue;
    ++r.genuine_accepted;
    const double angle = std::acos(gcos[k]) * kDeg;
    r.accepted_angle_mean_deg += angle;
    r.accepted_angle_max_deg = std::max(r.accepted_angle_max_deg, angle);
  }
  if (r.genuine_accepted) r.accepted_angle_mean_deg /= double(r.genuine_accepted);
  for (size_t k = 0; k < i.size(); ++k) {
    icos[k] = cosine(t.data() + size_t(pairs.impostor[k].first) * m, t.data() + size_t(pairs.impostor[k].second) * m, m);
    if (i[k] == 2) ++r.tampered;
    r.impostor_accepted += i[k] == 1;
    if (i[k] == 1) r.accepted_impostors.push_back(uint32_t(k));
  }
  r.tar = r.genuine_pairs ? double(r.genuine_accepted) / double(r.genuine_pairs) : 0;
  r.far = r.impostor_pairs ? double(r.impostor_accepted) / double(r.impostor_pairs) : 0;
  r.tar_ci = wilson(r.genuine_accepted, r.genuine_pairs);
  r.far_ci = wilson(r.impostor_accepted, r.impostor_pairs);
  r.baseline_tar_at_far = tar_at_far(gcos, icos, r.far);
  r.angles = angle_diagnostics(gcos, g, icos, r.far);
  r.baseline_curve = baseline_curve(std::move(gcos), std::move(icos));
  return r;
}

}  // namespace spheremask::eval
