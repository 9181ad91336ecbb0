#include "tools/security_estimate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "expander/expander_rng.hpp"
#include "math/log_gamma.hpp"
#include "util/parallel.hpp"
#include "spheremask/error.hpp"
#include "spheremask/params.hpp"

namespace spheremask::security {
namespace {

constexpr double kDeg = 57.29577951308232;

// ln of the continued fraction of I_x(a, b) (Lentz), valid for x < (a+1)/(a+b+2).
double log_betacf(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1, d = 1 - (a + b) * x / (a + 1);
  if (std::abs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int k = 1; k < 10000; ++k) {
    const double m2 = 2.0 * k;
    double aa = k * (b - k) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d; if (std::abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (std::abs(c) < tiny) c = tiny;
    d = 1 / d; h *= d * c;
    aa = -(a + k) * (a + b + k) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d; if (std::abs(d) < tiny) d = tiny;
    c = 1 + aa / c; if (std::abs(c) < tiny) c = tiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::abs(del - 1) < 1e-15) break;
  }
  return std::log(h);
}

// ln I_x(a, b), regularized incomplete beta, accurate when the value is tiny.
double log_ibeta(double a, double b, double x) {
  if (x <= 0) return -std::numeric_limits<double>::infinity();
  if (x >= 1) return 0;
  const double log_front = a * std::log(x) + b * std::log1p(-x) - (internal::log_gamma(a) + internal::log_gamma(b) - internal::log_gamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return log_front + log_betacf(a, b, x) - std::log(a);
  const double complement = std::exp(log_front + log_betacf(b, a, 1 - x) - std::log(b));
  return std::log1p(-complement);
}

}  // namespace

std::vector<double> critical_angles(uint32_t n, uint32_t alpha, size_t trials, uint64_t seed) {
  if (alpha < 1 || alpha >= n) throw Error(ErrorCode::InvalidArgument, "security: need 1 ≤ alpha < n");
  // By rotation invariance c = (1,…,1,0,…,0)/√α. With g Gaussian and g' = g − (g·c)c, the probe is
  // ∝ cotθ·‖g'‖·c + g', which decodes to c iff cotθ·‖g'‖/√α > max_off|g_j| − min_on g'_i.
  std::vector<double> out(trials);
  const size_t chunk = 256;
  const size_t chunks = (trials + chunk - 1) / chunk;
  internal::parallel_for(chunks, internal::resolve_threads(0), [&](size_t cb, size_t ce, int) {
    std::vector<double> g(n);
    for (size_t ci = cb; ci < ce; ++ci) {
      internal::SimRng rng("security/theta50/" + std::to_string(n) + "/" + std::to_string(alpha) + "/" + std::to_string(ci), seed);
      for (size_t t = ci * chunk; t < std::min(trials, (ci + 1) * chunk); ++t) {
        double on_sum = 0;
        for (uint32_t j = 0; j < n; ++j) g[j] = rng.gaussian();
        for (uint32_t j = 0; j < alpha; ++j) on_sum += g[j];
        const double proj = on_sum / alpha;  // (g·c)·c_j = mean of the on-support entries
        double norm2 = 0, min_on = std::numeric_limits<double>::infinity(), max_off = 0;
        for (uint32_t j = 0; j < n; ++j) {
          const double v = j < alpha ? g[j] - proj : g[j];
          norm2 += v * v;
          if (j < alpha) min_on = std::min(min_on, v);
          else max_off = std::max(max_off, std::abs(v));
        }
        const double kappa = max_off - min_on;
        out[t] = std::atan2(std::sqrt(norm2), kappa * std::sqrt(double(alpha))) * kDeg;
      }
    }
  });
  std::sort(out.begin(), out.end());
  return out;
}

double accept_probability(const std::vector<double>& sorted_critical, double angle_deg) {
  if (sorted_critical.empty()) return 0;
  const auto it = std::upper_bound(sorted_critical.begin(), sorted_critical.end(), angle_deg);
  return double(sorted_critical.end() - it) / double(sorted_critical.size());
}

namespace {
double median(const std::vector<double>& sorted) {
  const size_t k = sorted.size();
  return k % 2 ? sorted[k / 2] : 0.5 * (sorted[k / 2 - 1] + sorted[k / 2]);
}
}  // namespace

double theta50_code_deg(uint32_t n, uint32_t alpha, const EstimateOptions& o) {
  return median(critical_angles(n, alpha, o.trials, o.seed));
}

double theta50_input_deg(const Expander& e, const std::vector<double>& sorted_critical, const EstimateOptions& o) {
  const uint32_t m = e.input_dim(), n = e.output_dim();
  const size_t pairs = std::max<size_t>(o.expander_pairs, 1);
  // Fixed directions (t, u ⟂ t) per pair: common random numbers make the curve smooth in the angle.
  internal::SimRng rng("security/expander-pairs", o.seed);
  std::vector<float> t(pairs * m), u(pairs * m);
  for (size_t k = 0; k < pairs; ++k) {
    rng.unit_vector(t.data() + k * m, m);
    rng.unit_orthogonal(t.data() + k * m, u.data() + k * m, m);
  }
  std::vector<float> in(2 * pairs * m), out(2 * pairs * n);
  auto acceptance = [&](double phi_deg) {
    const double c = std::cos(phi_deg / kDeg), s = std::sin(phi_deg / kDeg);
    for (size_t k = 0; k < pairs; ++k) {
      std::copy_n(t.data() + k * m, m, in.data() + 2 * k * m);
      for (uint32_t j = 0; j < m; ++j) in[(2 * k + 1) * m + j] = float(c * t[k * m + j] + s * u[k * m + j]);
    }
    e.forward(in.data(), 2 * pairs, out.data());
    double p = 0;
    for (size_t k = 0; k < pairs; ++k) {
      double dot = 0;
      for (uint32_t j = 0; j < n; ++j) dot += double(out[2 * k * n + j]) * out[(2 * k + 1) * n + j];
      p += accept_probability(sorted_critical, std::acos(std::clamp(dot, -1.0, 1.0)) * kDeg);
    }
    return p / double(pairs);
  };
  double lo = 0, hi = 180;
  for (int it = 0; it < 14; ++it) {
    const double mid = 0.5 * (lo + hi);
    (acceptance(mid) >= 0.5 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double log2_cap_fraction(uint32_t m, double angle_deg) {
  if (m < 2) throw Error(ErrorCode::InvalidArgument, "security: m must be at least 2");
  const double theta = std::clamp(angle_deg, 0.0, 180.0) / kDeg;
  const double a = (m - 1) / 2.0, x = std::sin(theta) * std::sin(theta);
  if (theta <= M_PI / 2) return (std::log(0.5) + log_ibeta(a, 0.5, x)) / std::log(2.0);
  return std::log1p(-0.5 * std::exp(log_ibeta(a, 0.5, x))) / std::log(2.0);
}

Estimate estimate(uint32_t m, uint32_t n, uint32_t alpha, const Expander* e, const EstimateOptions& o) {
  if (e && (e->input_dim() != m || e->output_dim() != n))
    throw Error(ErrorCode::InvalidArgument, "security: the expander maps " + std::to_string(e->input_dim()) + " -> " +
                                                std::to_string(e->output_dim()) + ", not m=" + std::to_string(m) +
                                                " -> n=" + std::to_string(n));
  Estimate r;
  r.m = m;
  r.n = n;
  r.alpha = alpha;
  r.code_bits = code_bits(n, alpha);
  const auto crit = critical_angles(n, alpha, o.trials, o.seed);
  r.theta50_code_deg = median(crit);
  r.with_expander = e != nullptr;
  r.theta50_input_deg = e ? theta50_input_deg(*e, crit, o) : r.theta50_code_deg;
  r.cap_bits = -log2_cap_fraction(m, r.theta50_input_deg);
  r.online_bits = online_bits(r.code_bits, o.list);
  if (o.list.enabled()) {
    r.list_angle_deg = o.list.max_angle_deg;
    r.list_max = o.list.max_candidates;
    // P[plain accept] + P[within τ], in log2 without underflow.
    const double a = -r.cap_bits, b = log2_cap_fraction(m, r.list_angle_deg), hi = std::max(a, b);
    r.cap_bits = -(hi + std::log2(std::exp2(a - hi) + std::exp2(b - hi)));
  }
  r.effective_bits = std::min(r.code_bits, r.cap_bits);
  return r;
}

double online_bits(double code_bits, const ListDecoding& list) {
  return list.enabled() ? code_bits - std::log2(double(list.max_candidates)) : code_bits;
}

double widest_list_angle(uint32_t m, double bits) {
  double lo = 0, hi = 90;  // the cap shrinks with the angle: bisect on −log2 cap ≥ bits + 1
  if (-log2_cap_fraction(m, 0.01) < bits + 1) return 0;
  while (hi - lo > 0.005) {
    const double mid = 0.5 * (lo + hi);
    (-log2_cap_fraction(m, mid) >= bits + 1 ? lo : hi) = mid;
  }
  return std::floor(lo * 100) / 100;
}

std::optional<Estimate> recommend(uint32_t m, double bits, const Expander* e, const EstimateOptions& o) {
  std::vector<uint32_t> sizes = {512, 1024, 2048, 4096, 8192};
  if (e) sizes = {e->output_dim()};
  std::optional<Estimate> best;
  for (uint32_t n : sizes) {
    // θ50 shrinks as α grows, so effective bits grow with α: binary-search the smallest α that qualifies.
    uint32_t lo = 1, hi = std::min<uint32_t>(64, n - 1);
    std::optional<Estimate> found;
    while (lo <= hi) {
      const uint32_t mid = (lo + hi) / 2;
      const Estimate est = estimate(m, n, mid, e, o);
      if (est.effective_bits >= bits) {
        found = est;
        if (mid == 1) break;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    if (found && (!best || found->theta50_input_deg > best->theta50_input_deg)) best = found;
  }
  return best;
}

}  // namespace spheremask::security
