#include "cli/eval_report.hpp"

#include "tools/eval.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"

namespace spheremask::cli {

void ProtocolFlags::add_to(CLI::App& cmd, const std::string& seed_flag) {
  auto& p = protocol;
  enroll = cmd.add_option("--enroll-samples", p.enroll_samples,
                          "K: enroll the normalized mean of K seeded images per identity, probe with the others "
                          "(identities with >= reserve + F images)");
  frames = cmd.add_option("--probe-frames", p.probe_frames,
                          "F: each probe is the normalized mean of F images: the non-enrolled images of an identity, "
                          "seeded order, cut into consecutive disjoint groups of F (leftover dropped)");
  reserve = cmd.add_option("--reserve", p.reserve,
                           "images per identity kept for enrollment (default K): the same value for several K gives "
                           "them the same identities and probes");
  outlier = cmd.add_option("--outlier-deg", p.outlier_deg,
                           "samples protocol, K >= 3: enroll with outlier rejection (a sample further than this angle "
                           "from the mean of the others is dropped, as enroll --outlier-deg does)")
                ->check(CLI::Range(0.0, 180.0));
  impostors = cmd.add_option("--impostors", p.impostors, "impostor pairs drawn (seeded, with replacement)")->capture_default_str();
  cmd.add_option(seed_flag, p.seed, "seed of the draws, the impostor sample, enrollment and fast-mode draws")
      ->capture_default_str();
  cmd.add_option("--max-per-identity", p.max_per_identity,
                 "all-pairs: use the first C images per identity; samples protocol: at most C probes per identity "
                 "(0 = all)")
      ->capture_default_str();
}

eval::Protocol ProtocolFlags::resolve() const {
  eval::Protocol p = protocol;
  p.samples = enroll->count() + frames->count() + reserve->count() + outlier->count() > 0;
  return p;
}

eval::SweepConfig base_config(const EngineFlags& flags, const eval::Protocol& protocol) {
  eval::SweepConfig c;
  c.n = flags.n;
  c.alpha = flags.alpha;
  c.expander = flags.expander;
  c.app_key_file = flags.app_key_file;
  c.list_angle_deg = flags.list_angle_deg;
  c.list_max = flags.list_max;
  c.protocol = protocol;
  return c;
}

EngineFlags flags_for(const EngineFlags& base, const eval::SweepConfig& c) {
  EngineFlags f = base;
  f.n = c.n;
  f.alpha = c.alpha;
  f.expander = c.expander;
  f.app_key_file = c.app_key_file;
  f.list_angle_deg = c.list_angle_deg;
  f.list_max = c.list_max;
  return f;
}

nlohmann::json eval_json(const eval::ProtocolResult& pr, const Engine& engine, const EngineFlags& flags,
                         const eval::Protocol& protocol, const std::string& mode) {
  const auto& r = pr.result;
  const auto& p = engine.params();
  nlohmann::json curve_far = nlohmann::json::array(), curve_tar = nlohmann::json::array();
  for (const auto& c : r.baseline_curve) {
    curve_far.push_back(c.far);
    curve_tar.push_back(c.tar);
  }
  nlohmann::json proto = {{"name", protocol.name()}, {"identities", pr.identities}, {"records", pr.records},
                          {"probes", pr.probes}, {"impostors", protocol.impostors}, {"seed", protocol.seed},
                          {"max_per_identity", protocol.max_per_identity}};
  if (protocol.samples) {
    proto["enroll_samples"] = protocol.enroll_samples;
    proto["probe_frames"] = protocol.probe_frames;
    proto["reserve"] = protocol.reserved();
    proto["outlier_deg"] = protocol.outlier_deg > 0 ? nlohmann::json(protocol.outlier_deg) : nlohmann::json(nullptr);
    proto["dropped_samples"] = pr.dropped_samples;
    proto["outlier_refused_records"] = pr.outlier_refused_records;
  } else {
    proto["enroll_samples"] = 1;
    proto["probe_frames"] = 1;
  }
  nlohmann::json config = {{"m", p.m}, {"n", p.n}, {"alpha", p.alpha}, {"code_bits", code_bits(p.n, p.alpha)},
                           {"mode", mode}, {"backend", backend_name(engine.backend())}, {"dtype", flags.dtype},
                           {"expander", flags.expander.empty() ? nlohmann::json(nullptr) : nlohmann::json(flags.expander)},
                           {"expander_id", p.expander ? nlohmann::json(to_hex(p.expander->id().data(), 32)) : nlohmann::json(nullptr)},
                           {"app_key", p.app_key.has_value()},
                           {"list_angle_deg", engine.options().list_decoding.enabled()
                                                  ? nlohmann::json(engine.options().list_decoding.max_angle_deg)
                                                  : nlohmann::json(nullptr)},
                           {"list_max", engine.options().list_decoding.enabled()
                                            ? nlohmann::json(engine.options().list_decoding.max_candidates)
                                            : nlohmann::json(nullptr)},
                           {"impostors", protocol.impostors},
                           {"seed", protocol.seed}, {"max_per_identity", protocol.max_per_identity}};
  nlohmann::json out = {{"tar", r.tar}, {"far", r.far}, {"tar_ci", {r.tar_ci.lo, r.tar_ci.hi}}, {"far_ci", {r.far_ci.lo, r.far_ci.hi}},
          {"genuine_pairs", r.genuine_pairs}, {"impostor_pairs", r.impostor_pairs},
          {"genuine_accepted", r.genuine_accepted}, {"impostor_accepted", r.impostor_accepted}, {"tampered", r.tampered},
          {"baseline_tar_at_far", r.baseline_tar_at_far},
          {"baseline_curve", {{"far", curve_far}, {"tar", curve_tar}}},
          {"accepted_angle_mean_deg", r.accepted_angle_mean_deg}, {"accepted_angle_max_deg", r.accepted_angle_max_deg},
          {"protocol", proto}, {"config", config}};
  out.update(far_bounds_json(pr));
  const auto& a = r.angles;
  nlohmann::json bins = nlohmann::json::array();
  for (const auto& b : a.bins)
    if (b.pairs) bins.push_back({{"lo_deg", b.lo_deg}, {"pairs", b.pairs}, {"accepted", b.accepted}});
  out["genuine_angles"] = {{"baseline_threshold_deg", a.threshold_deg}, {"p10_deg", a.genuine_p10_deg},
                           {"median_deg", a.genuine_median_deg}, {"p90_deg", a.genuine_p90_deg},
                           {"rejected_under_threshold", a.rejected_below}, {"accepted_over_threshold", a.accepted_above},
                           {"bin_width_deg", a.bin_width_deg}, {"bins", bins}};
  return out;
}

nlohmann::json far_bounds_json(const eval::ProtocolResult& r) {
  const auto& u = r.far_units;
  return {{"far_ci_identity", {r.far_ci_identity.lo, r.far_ci_identity.hi}},
          {"far_ci_crossed", {r.far_ci_crossed.lo, r.far_ci_crossed.hi}},
          {"far_ci_units", {u.ci.lo, u.ci.hi}},
          {"far_units", {{"units", u.units}, {"accepted_units", u.unit_events}, {"effective_n", u.effective_n}}},
          {"far_upper", r.far_upper()},
          {"far_ci_level", "95% two-sided; far_upper = the largest upper end (one-sided 97.5%)"}};
}

LabelledTemplates read_labelled(const std::string& npy, const std::string& labels_path) {
  LabelledTemplates t{NpyMatrix::open(npy), eval::read_labels(labels_path)};
  if (t.labels.size() != t.x.rows())
    throw Error(ErrorCode::InvalidArgument, labels_path + " has " + std::to_string(t.labels.size()) + " labels for " +
                                                std::to_string(t.x.rows()) + " template rows in " + npy);
  return t;
}

}  // namespace spheremask::cli
