#include "eval/recommend_far.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "spheremask/error.hpp"
#include "spheremask/params.hpp"

namespace spheremask::eval {

namespace {

std::string degrees(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace

std::string attack_exclusion(const SweepConfig& c) {
  if (!c.expander.empty() && c.app_key_file.empty())
    return "expander without an application key: structural inversion recovers the codeword and the template "
           "(DESIGN §3 Attacks)";
  return {};
}

AttackCheck check_attacks(const Engine& engine, size_t records, int threads) {
  AttackCheck out;
  const Params& p = engine.params();
  if (!p.expander) return out;
  if (records == 0)
    throw Error(ErrorCode::InvalidArgument,
                "a candidate with an expander is only recommended after `attack invert` ran on it: attack records must be "
                "at least 1");
  out.measured = true;
  out.keyed = p.app_key.has_value();
  out.without_key = attack::measure_invert(p.expander, p.alpha, records, 1, threads, p.app_key, std::nullopt);
  if (out.keyed) out.with_key = attack::measure_invert(p.expander, p.alpha, records, 1, threads, p.app_key, p.app_key);
  return out;
}

bool certifies_far(const ProtocolResult& r, double target_far) {
  return r.result.impostor_pairs > 0 && r.far_upper() <= target_far;
}

namespace {

// Effective bits grow with α (θ50 shrinks): binary-search the smallest α that qualifies.
std::optional<uint32_t> smallest_alpha(uint32_t m, double bits, const security::EstimateOptions& plain) {
  uint32_t lo = 1, hi = std::min<uint32_t>(64, m - 1);
  std::optional<uint32_t> first;
  while (lo <= hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (security::estimate(m, m, mid, nullptr, plain).effective_bits >= bits) {
      first = mid;
      if (mid == 1) break;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return first;
}

security::EstimateOptions without_list(security::EstimateOptions est) {
  est.list = {};
  return est;
}

SweepConfig plain_candidate(uint32_t m, uint32_t alpha, const SweepConfig& base) {
  SweepConfig c = base;
  c.n = m;
  c.alpha = alpha;
  c.expander.clear();
  c.app_key_file.clear();
  c.list_angle_deg = 0;
  c.text = "n=" + std::to_string(m) + " alpha=" + std::to_string(alpha);
  if (c.protocol.samples)
    c.text += " enroll-samples=" + std::to_string(c.protocol.enroll_samples) +
              " probe-frames=" + std::to_string(c.protocol.probe_frames) +
              (c.protocol.outlier_deg > 0 ? " outlier-deg=" + degrees(c.protocol.outlier_deg) : "");
  return c;
}

}  // namespace

std::vector<SweepConfig> default_candidates(uint32_t m, double bits, const SweepConfig& base, uint32_t extra,
                                            const security::EstimateOptions& est, const std::vector<double>& list_angles) {
  std::vector<SweepConfig> out;
  const auto first = smallest_alpha(m, bits, without_list(est));
  if (!first) return out;
  for (uint32_t a = *first; a <= std::min<uint32_t>(64, std::min(m - 1, *first + extra)); ++a)
    out.push_back(plain_candidate(m, a, base));
  // With a list decoder the acceptance is the cosine matcher's up to the angle whatever α is; the smallest α has the
  // widest plain region, so its lists are the shortest.
  for (double angle : list_angles) {
    SweepConfig c = plain_candidate(m, *first, base);
    c.list_angle_deg = angle;
    c.text += " list-angle=" + degrees(angle) + " list-max=" + std::to_string(c.list_max);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<double> auto_list_angles(uint32_t m, double bits, const security::EstimateOptions& est, double step,
                                     size_t count) {
  std::vector<double> out;
  const auto first = smallest_alpha(m, bits, without_list(est));
  if (!first || count == 0) return out;
  const double from = std::ceil(security::theta50_code_deg(m, *first, without_list(est))) + 1;
  const double to = security::widest_list_angle(m, bits);
  if (to < from) return out;
  const size_t fit = size_t(std::floor((to - from) / step)) + 1;
  const double spacing = fit > count ? (to - from) / double(count - 1) : step;
  for (size_t i = 0; i < std::min(fit, count); ++i) out.push_back(std::round((from + double(i) * spacing) * 100) / 100);
  return out;
}

FarRecommendation recommend_by_far(const float* templates, size_t rows, const std::vector<std::string>& labels,
                                   double target_far, double bits, const std::vector<SweepConfig>& candidates,
                                   const EngineFactory& make, Mode mode, const security::EstimateOptions& est,
                                   size_t attack_records) {
  if (!(target_far > 0 && target_far < 1))
    throw Error(ErrorCode::InvalidArgument, "target FAR must be in (0, 1), got " + std::to_string(target_far));
  FarRecommendation out;
  for (const auto& config : candidates) {
    Candidate c;
    c.config = config;
    c.excluded = attack_exclusion(config);
    if (!c.excluded.empty()) {
      out.candidates.push_back(std::move(c));
      continue;
    }
    auto engine = make(config);
    const Params& p = engine->params();
    c.code_bits = code_bits(p.n, p.alpha);
    security::EstimateOptions with_decoder = est;
    with_decoder.list = engine->options().list_decoding;
    c.online_bits = security::online_bits(c.code_bits, with_decoder.list);
    c.effective_bits = c.code_bits < bits
                           ? c.code_bits
                           : security::estimate(p.m, p.n, p.alpha, p.expander.get(), with_decoder).effective_bits;
    if (c.effective_bits < bits) {
      c.excluded = "effective bits below the requirement";
    } else if (c.attack = check_attacks(*engine, attack_records); c.attack.broken()) {
      const auto& a = c.attack.without_key;
      c.excluded = "broken by attack invert: " + std::to_string(std::max(a.found, a.inverted)) + " of " +
                   std::to_string(a.records) +
                   (c.attack.keyed ? " fresh records gave up their codeword to an attacker without the application key"
                                   : " fresh key-less records inverted (bind records to a secret application key)");
    } else {
      c.measured = evaluate_protocol(*engine, templates, rows, labels, config.protocol, mode);
      c.certified = certifies_far(c.measured, target_far);
      if (!c.certified) c.excluded = "FAR not certified at the target (upper 95% bound above it)";
    }
    out.candidates.push_back(std::move(c));
  }
  for (size_t i = 0; i < out.candidates.size(); ++i) {
    const auto& c = out.candidates[i];
    if (!c.certified) continue;
    if (!out.chosen) { out.chosen = i; continue; }
    const auto& best = out.candidates[*out.chosen];
    // Highest TAR; among equal TARs the larger security margin.
    if (c.measured.result.tar > best.measured.result.tar ||
        (c.measured.result.tar == best.measured.result.tar && c.effective_bits > best.effective_bits))
      out.chosen = i;
  }
  return out;
}

}  // namespace spheremask::eval
