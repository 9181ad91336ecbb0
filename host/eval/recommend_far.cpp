#include "eval/recommend_far.hpp"

#include <algorithm>

#include "spheremask/error.hpp"
#include "spheremask/params.hpp"

namespace spheremask::eval {

std::string attack_exclusion(const SweepConfig& c) {
  if (!c.expander.empty() && c.app_key_file.empty())
    return "expander without an application key: structural inversion recovers the codeword and the template "
           "(DESIGN §3 Attacks)";
  return {};
}

bool certifies_far(const ProtocolResult& r, double target_far) {
  return r.result.impostor_pairs > 0 && r.far_upper() <= target_far;
}

std::vector<SweepConfig> default_candidates(uint32_t m, double bits, const SweepConfig& base, uint32_t extra,
                                            const security::EstimateOptions& est) {
  // Effective bits grow with α (θ50 shrinks): binary-search the smallest α that qualifies.
  uint32_t lo = 1, hi = std::min<uint32_t>(64, m - 1);
  std::optional<uint32_t> first;
  while (lo <= hi) {
    const uint32_t mid = (lo + hi) / 2;
    if (security::estimate(m, m, mid, nullptr, est).effective_bits >= bits) {
      first = mid;
      if (mid == 1) break;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  std::vector<SweepConfig> out;
  if (!first) return out;
  for (uint32_t a = *first; a <= std::min<uint32_t>(64, std::min(m - 1, *first + extra)); ++a) {
    SweepConfig c = base;
    c.n = m;
    c.alpha = a;
    c.expander.clear();
    c.app_key_file.clear();
    c.text = "n=" + std::to_string(m) + " alpha=" + std::to_string(a);
    if (c.protocol.samples)
      c.text += " enroll-samples=" + std::to_string(c.protocol.enroll_samples) +
                " probe-frames=" + std::to_string(c.protocol.probe_frames);
    out.push_back(std::move(c));
  }
  return out;
}

FarRecommendation recommend_by_far(const float* templates, size_t rows, const std::vector<std::string>& labels,
                                   double target_far, double bits, const std::vector<SweepConfig>& candidates,
                                   const EngineFactory& make, Mode mode, const security::EstimateOptions& est) {
  if (!(target_far > 0 && target_far < 1))
    throw Error(ErrorCode::InvalidArgument, "target FAR must be in (0, 1), got " + std::to_string(target_far));
  FarRecommendation out;
  for (const auto& config : candidates) {
    Candidate c;
    c.config = config;
    c.excluded = attack_exclusion(config);
    if (c.excluded.empty()) {
      auto engine = make(config);
      const Params& p = engine->params();
      c.code_bits = code_bits(p.n, p.alpha);
      c.effective_bits = c.code_bits < bits ? c.code_bits
                                            : security::estimate(p.m, p.n, p.alpha, p.expander.get(), est).effective_bits;
      if (c.effective_bits < bits) {
        c.excluded = "effective bits below the requirement";
      } else {
        c.measured = evaluate_protocol(*engine, templates, rows, labels, config.protocol, mode);
        c.certified = certifies_far(c.measured, target_far);
        if (!c.certified) c.excluded = "FAR not certified at the target (upper 95% bound above it)";
      }
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
