#include "cli/recommend_far.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "eval/recommend_far.hpp"
#include "spheremask/error.hpp"

namespace spheremask::cli {
namespace {

constexpr char kRule[] =
    "highest TAR among candidates whose FAR upper bound on the calibration set is <= the target and that the measured "
    "attacks do not break; the bound is the largest upper end of four 95% intervals: Wilson (pairs independent), a "
    "bootstrap over people, a crossed bootstrap over record-side and probe-side people, and Wilson on the effective "
    "number of distinct pairs of people (never more than their count)";

// Enough impostor pairs that a clean candidate can be certified: with 0 of I accepted the upper bound is about 3.84/I.
size_t auto_impostors(double target_far) {
  return size_t(std::clamp(std::ceil(40.0 / target_far), 10000.0, 5000000.0));
}

nlohmann::json measurement_json(const attack::InvertMeasurement& m) {
  return {{"records", m.records}, {"codewords_found", m.found}, {"inverted", m.inverted}, {"median_seconds", m.median_seconds}};
}

// The attack invert numbers of a candidate with an expander, as the attacks section of `security` reports them.
nlohmann::json attack_json(const eval::AttackCheck& a) {
  nlohmann::json j = {{"invert", {{"without_key", measurement_json(a.without_key)}}},
                      {"application_key", a.keyed ? "bound (attacked without the key; control run with it)" : "none"},
                      {"broken", a.broken()}};
  if (a.keyed) j["invert"]["with_key_control"] = measurement_json(a.with_key);
  return j;
}

}  // namespace

std::vector<double> RecommendFarFlags::parse_list_angles(uint32_t m, double bits, const security::EstimateOptions& est) const {
  if (list_angles == "none") return {};
  if (list_angles == "auto") return eval::auto_list_angles(m, bits, est);
  std::vector<double> out;
  size_t start = 0;
  while (start <= list_angles.size()) {
    const size_t end = std::min(list_angles.find(',', start), list_angles.size());
    const std::string item = list_angles.substr(start, end - start);
    const auto v = eval::parse_degrees(item, 80);
    if (!v)
      throw Error(ErrorCode::InvalidArgument,
                  "--list-angles: '" + item + "' is not an angle in (0, 80] degrees (or give auto or none)");
    out.push_back(*v);
    start = end + 1;
  }
  return out;
}

void RecommendFarFlags::add_to(CLI::App& cmd) {
  target = cmd.add_option("--target-far", target_far,
                          "with --recommend: pick by measured FAR on --templates/--labels instead of by theta50");
  cmd.add_option("--templates", templates, "--target-far: calibration templates (float32 .npy)");
  cmd.add_option("--labels", labels, "--target-far: calibration identity per row");
  cmd.add_option("--candidates", candidates,
                 "--target-far: configurations as for eval --sweep (default: n = m, the smallest alpha with --bits "
                 "effective bits and a few above it)");
  cmd.add_option("--extra-alphas", extra_alphas, "--target-far: default candidates above the smallest alpha")
      ->capture_default_str();
  cmd.add_option("--list-angles", list_angles,
                 "--target-far: list-decoding candidates for the smallest alpha: auto (from past its theta50 to the widest "
                 "angle that keeps --bits), none, or angles in degrees separated by commas; --list-max sets their size")
      ->capture_default_str();
  cmd.add_option("--mode", mode, "--target-far: eval mode")->check(CLI::IsMember({"exact", "fast"}))->capture_default_str();
  cmd.add_option("--backend", backend, "--target-far: cpu, cuda or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))->capture_default_str();
  protocol.add_to(cmd, "--eval-seed");
  protocol.impostors->description("impostor pairs (default: 40 / target FAR, at least 10,000)");
}

void RecommendFarFlags::run(double bits, const security::EstimateOptions& est, bool json, size_t attack_records) const {
  if (templates.empty() || labels.empty())
    throw Error(ErrorCode::InvalidArgument, "--target-far needs --templates and --labels (calibration set)");
  if (!(target_far > 0 && target_far < 1))
    throw Error(ErrorCode::InvalidArgument, "--target-far must be in (0, 1)");
  const auto data = read_labelled(templates, labels);
  eval::Protocol proto = protocol.resolve();
  if (protocol.impostors->count() == 0) proto.impostors = auto_impostors(target_far);
  EngineFlags engine_flags;
  engine_flags.backend = backend;
  engine_flags.allow_weak = bits < kMinBits;  // candidates below `bits` are never built
  engine_flags.list_max = est.list.max_candidates;
  const auto base = base_config(engine_flags, proto);
  const uint32_t m = uint32_t(data.x.cols());
  const auto configs = candidates.empty()
                           ? eval::default_candidates(m, bits, base, extra_alphas, est, parse_list_angles(m, bits, est))
                           : eval::read_sweep(candidates, base);
  if (configs.empty())
    throw Error(ErrorCode::InvalidArgument, "no n = m = " + std::to_string(m) + " code reaches " + std::to_string(bits) +
                                                " effective bits; give --candidates");
  for (const auto& c : configs) eval::make_units(data.labels, c.protocol);  // protocol errors before any work
  const auto eval_mode = eval::parse_mode(mode);
  const auto rec = eval::recommend_by_far(
      data.x.data(), data.x.rows(), data.labels, target_far, bits, configs,
      [&](const eval::SweepConfig& c) {
        auto f = flags_for(engine_flags, c);
        if (c.list_angle_deg > 0) f.backend = "cpu";  // list decoding runs on the CPU backend only
        return f.make(m);
      },
      eval_mode, est, attack_records);

  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : rec.candidates) {
    nlohmann::json j = {{"config", c.config.text}, {"code_bits", c.code_bits}, {"effective_bits", c.effective_bits},
                        {"online_bits_per_attempt", c.online_bits},
                        {"list_angle_deg", c.config.list_angle_deg > 0 ? nlohmann::json(c.config.list_angle_deg) : nlohmann::json(nullptr)},
                        {"certified", c.certified}, {"excluded", c.excluded.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.excluded)}};
    if (c.attack.measured) j["attacks"] = attack_json(c.attack);
    if (c.measured.result.impostor_pairs) {
      const auto& r = c.measured.result;
      j["tar"] = r.tar;
      j["tar_ci"] = {r.tar_ci.lo, r.tar_ci.hi};
      j["far"] = r.far;
      j["far_ci"] = {r.far_ci.lo, r.far_ci.hi};
      j.update(far_bounds_json(c.measured));
      j["impostor_pairs"] = r.impostor_pairs;
      j["genuine_pairs"] = r.genuine_pairs;
      j["baseline_tar_at_far"] = r.baseline_tar_at_far;
    }
    rows.push_back(j);
  }
  if (!rec.chosen) {
    double lowest = 1;
    for (const auto& c : rec.candidates)
      if (c.measured.result.impostor_pairs) lowest = std::min(lowest, c.measured.far_upper());
    throw Error(ErrorCode::InvalidArgument,
                "no candidate certifies FAR <= " + std::to_string(target_far) + " (lowest upper bound " +
                    std::to_string(lowest) + " with " + std::to_string(proto.impostors) + " impostor pairs)");
  }
  const auto& best = rec.candidates[*rec.chosen];
  const auto& r = best.measured.result;
  if (json)
    return print_json({{"rule", kRule}, {"target_far", target_far}, {"bits", bits}, {"m", m},
                       {"calibration", {{"templates", templates}, {"labels", labels}, {"identities", best.measured.identities}}},
                       {"chosen", rows[*rec.chosen]}, {"candidates", rows}});
  std::printf("recommended for FAR <= %g and >= %.0f effective bits: %s\n", target_far, bits, best.config.text.c_str());
  std::printf("  TAR %.4f [%.4f, %.4f], FAR %.6f [%.6f, %.6f] (%zu / %zu impostor pairs), %.1f effective bits\n", r.tar,
              r.tar_ci.lo, r.tar_ci.hi, r.far, r.far_ci.lo, r.far_ci.hi, r.impostor_accepted, r.impostor_pairs,
              best.effective_bits);
  if (best.config.list_angle_deg > 0)
    std::printf("  list decoding within %g degrees, up to %u codewords per probe (CPU backend): the record and offline "
                "brute force are unchanged; one online attempt tests up to that many codewords (%.1f bits per attempt)\n",
                best.config.list_angle_deg, best.config.list_max, best.online_bits);
  std::printf("  how sure: FAR upper bounds %.6f (95%% Wilson, pairs), %.6f and %.6f (95%% identity bootstrap, one-way "
              "and crossed) and %.6f (95%% over %zu distinct pairs of people, effective count %.0f) are <= %g on %zu "
              "calibration identities; re-measure on held-out identities before deploying\n",
              r.far_ci.hi, best.measured.far_ci_identity.hi, best.measured.far_ci_crossed.hi, best.measured.far_units.ci.hi,
              best.measured.far_units.units, best.measured.far_units.effective_n, target_far, best.measured.identities);
  std::printf("  unprotected cosine matcher at the same FAR: TAR %.4f\n", r.baseline_tar_at_far);
  if (best.attack.measured) {
    const auto &w = best.attack.without_key, &k = best.attack.with_key;
    std::printf("  attack invert without the application key: %zu of %zu fresh records inverted, %zu codewords found\n",
                w.inverted, w.records, w.found);
    if (best.attack.keyed)
      std::printf("  control, attacker holding the application key: %zu of %zu inverted (the key is what stops it)\n",
                  k.inverted, k.records);
  } else {
    std::printf("  attack invert: not run (plain IronMask, n = m: the structural attack has no subspace to search)\n");
  }
  for (const auto& c : rec.candidates)
    if (!c.excluded.empty()) std::printf("  not chosen: %s (%s)\n", c.config.text.c_str(), c.excluded.c_str());
}

}  // namespace spheremask::cli
