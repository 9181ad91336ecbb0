// Sweep configurations and the operating point chosen by measured FAR: parsing (defaults, errors), exclusions (bits,
// key-less expanders), the certification rule, and the claim that matters: the chosen configuration's FAR re-measured
// on held-out identities stays within the calibration interval (synthetic identities always; LFW when present).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "eval/recommend_far.hpp"
#include "spheremask/expander_file.hpp"
#include "eval/sweep_config.hpp"
#include "support/eval_synthetic.hpp"
#include "support/lfw_data.hpp"
#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "support/expect_error.hpp"

namespace spheremask::eval {
namespace {

using testing::error_code_of;

TEST(SweepConfig, KeysOverrideTheBaseAndSelectTheSamplesProtocol) {
  SweepConfig base;
  base.n = 0;
  base.alpha = 16;
  base.protocol.impostors = 123;
  const auto c = parse_sweep("alpha=12 enroll-samples=3 # comment\n\n n=128,alpha=20;probe-frames=2 reserve=5;"
                             " expander=te.smte app-key-file=k.bin",
                             base);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].alpha, 12u);
  EXPECT_TRUE(c[0].protocol.samples);
  EXPECT_EQ(c[0].protocol.enroll_samples, 3u);
  EXPECT_EQ(c[0].protocol.impostors, 123u);
  EXPECT_EQ(c[0].text, "alpha=12 enroll-samples=3");
  EXPECT_EQ(c[1].n, 128u);
  EXPECT_EQ(c[1].alpha, 20u);
  EXPECT_FALSE(c[1].protocol.samples);  // all-pairs unless a protocol key is given
  EXPECT_EQ(c[2].alpha, 16u);
  EXPECT_EQ(c[2].protocol.probe_frames, 2u);
  EXPECT_EQ(c[2].protocol.reserved(), 5u);
  EXPECT_EQ(c[3].expander, "te.smte");
  EXPECT_EQ(c[3].app_key_file, "k.bin");
}

TEST(SweepConfig, OutlierAngleSelectsTheSamplesProtocol) {
  const auto c = parse_sweep("alpha=12 outlier-deg=47.5", SweepConfig{});
  ASSERT_EQ(c.size(), 1u);
  EXPECT_DOUBLE_EQ(c[0].protocol.outlier_deg, 47.5);
  EXPECT_TRUE(c[0].protocol.samples);
}

TEST(SweepConfig, BadConfigurationsAreNamed) {
  const SweepConfig base;
  for (const char* bad : {"alpha=12; beta=3", "alpha", "alpha=x", "alpha=-1", "alpha=65", "=3", "  ;  # nothing",
                          "outlier-deg=0", "outlier-deg=181", "outlier-deg=4x", "outlier-deg="}) {
    try {
      parse_sweep(bad, base);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << bad;
    }
  }
  try {
    parse_sweep("alpha=12; beta=3", base);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown key 'beta'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(error_code_of([&] { read_sweep("/nonexistent/sweep.txt", base); }), ErrorCode::Io);
}

TEST(SweepConfig, ReadsAFile) {
  const auto path = std::filesystem::temp_directory_path() / ("spheremask-sweep-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << "# two configurations\nalpha=8\nalpha=10 enroll-samples=2\n";
  const auto c = read_sweep(path.string(), SweepConfig{});
  std::filesystem::remove(path);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[1].alpha, 10u);
  EXPECT_EQ(c[1].protocol.enroll_samples, 2u);
}

TEST(RecommendFar, KeylessExpanderIsExcludedAndTheRuleUsesTheUpperBound) {
  SweepConfig c;
  EXPECT_TRUE(attack_exclusion(c).empty());
  c.expander = "te.smte";
  EXPECT_FALSE(attack_exclusion(c).empty());
  c.app_key_file = "k.bin";
  EXPECT_TRUE(attack_exclusion(c).empty());
  ProtocolResult r;
  r.result.impostor_pairs = 10000;
  r.result.far = 0.0004;
  r.result.far_ci = wilson(4, 10000);  // [0.00016, 0.00103]
  r.far_ci_identity = {0.0001, 0.0009};
  r.far_ci_crossed = {0.0001, 0.0009};
  r.far_units.ci = {0.0001, 0.0010};
  EXPECT_FALSE(certifies_far(r, 0.001));  // the point is under the target, its upper bound is not
  EXPECT_TRUE(certifies_far(r, 0.0011));
  r.far_ci_identity = {0.0001, 0.0015};  // the identity bootstrap's bound counts too
  EXPECT_FALSE(certifies_far(r, 0.0011));
  EXPECT_DOUBLE_EQ(r.far_upper(), 0.0015);
  r.far_ci_identity = {0.0001, 0.0009};
  r.far_units.ci = {0.0001, 0.0012};  // and so does the bound from the pairs of people
  EXPECT_FALSE(certifies_far(r, 0.0011));
  EXPECT_DOUBLE_EQ(r.far_upper(), 0.0012);
  r.far_units.ci = {0.0001, 0.0010};
  r.far_ci_crossed = {0.0001, 0.0013};  // and the crossed bootstrap's
  EXPECT_FALSE(certifies_far(r, 0.0011));
  EXPECT_DOUBLE_EQ(r.far_upper(), 0.0013);
  r.result.impostor_pairs = 0;
  EXPECT_FALSE(certifies_far(r, 0.5));  // nothing measured, nothing certified
}

// 100 people, 10,020 impostor pairs between them (the last 20 all between persons 3 and 7, as repeated draws make), 20
// accepted. Spread over 20 unrelated pairs of people the interval is close to Wilson's; all 20 on the one pair of
// look-alike people (the pattern of real false accepts) it is much wider.
TEST(RecommendFar, IdentityBootstrapWidensWhenFalseAcceptsShareAPerson) {
  PairPeople pairs;
  for (uint32_t k = 0; k < 10000; ++k) pairs.push_back({k % 100, (k / 100 + k % 100 + 1) % 100});
  std::vector<uint32_t> spread, clustered;
  for (uint32_t k = 0; k < 20; ++k) {
    spread.push_back(k * 499);
    clustered.push_back(uint32_t(pairs.size()));
    pairs.push_back({3, 7});
  }
  for (const Resample how : {Resample::People, Resample::Crossed}) {
  const auto a = bootstrap_far(pairs, 100, spread, 1000, 1, how), b = bootstrap_far(pairs, 100, clustered, 1000, 1, how);
  const auto w = wilson(20, 10000);
  EXPECT_LT(a.lo, 0.002);
  EXPECT_GT(a.hi, 0.002);  // the point estimate 20 / 10,020 inside
  EXPECT_LT(a.hi - a.lo, 2 * (w.hi - w.lo));
  EXPECT_GT(b.hi - b.lo, 2 * (a.hi - a.lo));
  EXPECT_GT(b.hi, w.hi);
  const auto none = bootstrap_far(pairs, 100, {}, 200, 1, how);
  EXPECT_EQ(none.hi, 0.0);
  EXPECT_EQ(bootstrap_far(pairs, 100, spread, 200, 1, how).hi, bootstrap_far(pairs, 100, spread, 200, 1, how).hi);
  }
}

// An expander of the published initialisation, m = 32 → n = 128 (attack invert breaks key-less records of it in
// well under a second each: tests/attack/test_attack_invert.cpp).
std::shared_ptr<const Expander> small_expander() {
  static const auto e = [] {
    std::array<uint8_t, 32> seed{};
    seed[0] = 1;
    return make_expander(init_expander(32, 128, seed));
  }();
  return e;
}

std::array<uint8_t, 32> test_key() {
  std::array<uint8_t, 32> k{};
  k.fill(0x5a);
  return k;
}

// A candidate with an expander is recommended only after `attack invert` ran on fresh records of it: without the
// key it must fail, the control with the key must succeed. A deployment that names a key but does not bind records
// to it (simulated by an engine factory that drops the key) is broken by the measured attack and refused.
TEST(RecommendFar, ExpanderCandidatesAreAttackedAndBrokenOnesRefused) {
  const uint32_t m = 32;
  const auto s = testing::synthetic_identities(m, 40, 4, 45, 20, 40, 13);
  std::vector<SweepConfig> candidates(2);
  for (size_t i = 0; i < 2; ++i) {
    candidates[i].n = 128;
    candidates[i].alpha = 8;
    candidates[i].expander = "te.smte";
    candidates[i].app_key_file = "key.bin";
    candidates[i].protocol.impostors = 2000;
  }
  candidates[0].text = "bound";
  candidates[1].text = "key dropped";
  const auto factory = [&](const SweepConfig& c) {
    Params p;
    p.m = m;
    p.n = c.n;
    p.alpha = c.alpha;
    p.allow_weak = true;
    p.expander = small_expander();
    if (c.text == "bound") p.app_key = test_key();
    return make_engine(p, Backend::Cpu);
  };
  security::EstimateOptions est;
  est.trials = 500;
  const auto rec = recommend_by_far(s.templates.data(), s.rows(), s.labels, 0.5, 8, candidates, factory, Mode::Fast, est, 3);
  ASSERT_EQ(rec.candidates.size(), 2u);
  const auto& bound = rec.candidates[0];
  const auto& dropped = rec.candidates[1];
  EXPECT_TRUE(bound.attack.measured);
  EXPECT_TRUE(bound.attack.keyed);
  EXPECT_EQ(bound.attack.without_key.records, 3u);
  EXPECT_EQ(bound.attack.without_key.found, 0u);
  EXPECT_EQ(bound.attack.without_key.inverted, 0u);
  EXPECT_EQ(bound.attack.with_key.inverted, 3u);  // the control: the attack bites once the key is known
  EXPECT_FALSE(bound.attack.broken());
  EXPECT_TRUE(bound.certified) << bound.excluded;
  EXPECT_TRUE(dropped.attack.measured);
  EXPECT_FALSE(dropped.attack.keyed);
  EXPECT_EQ(dropped.attack.without_key.inverted, 3u);
  EXPECT_TRUE(dropped.attack.broken());
  EXPECT_EQ(dropped.excluded.rfind("broken by attack invert: 3 of 3", 0), 0u) << dropped.excluded;
  EXPECT_EQ(dropped.measured.result.impostor_pairs, 0u);  // refused before any accuracy measurement
  ASSERT_TRUE(rec.chosen.has_value());
  EXPECT_EQ(*rec.chosen, 0u);

  // No expander: nothing to attack. With an expander, zero attack records is refused, not skipped.
  Params plain;
  plain.m = plain.n = m;
  plain.alpha = 8;
  plain.allow_weak = true;
  EXPECT_FALSE(check_attacks(*make_engine(plain, Backend::Cpu), 3).measured);
  EXPECT_EQ(error_code_of([&] { check_attacks(*factory(candidates[0]), 0); }), ErrorCode::InvalidArgument);
}

std::unique_ptr<Engine> weak_engine(uint32_t m, const SweepConfig& c) {
  Params p;
  p.m = m;
  p.n = c.n ? c.n : m;
  p.alpha = c.alpha;
  p.allow_weak = true;
  EngineOptions o;
  o.list_decoding = {c.list_angle_deg, c.list_max};
  return make_engine(p, Backend::Cpu, o);
}

// Rows of the identities whose index in sorted-label order has the given parity: a split by identity.
struct Split {
  std::vector<float> templates;
  std::vector<std::string> labels;
};
Split split_by_identity(const float* t, size_t rows, uint32_t m, const std::vector<std::string>& labels, int parity) {
  std::map<std::string, int> index;
  for (const auto& l : labels) index[l];
  int k = 0;
  for (auto& [name, i] : index) i = k++;
  Split s;
  for (size_t r = 0; r < rows; ++r)
    if (index[labels[r]] % 2 == parity) {
      s.templates.insert(s.templates.end(), t + r * m, t + (r + 1) * m);
      s.labels.push_back(labels[r]);
    }
  return s;
}

// Calibrate on half of the identities, re-measure the choice on the other half with a fresh impostor sample: the
// held-out FAR must stay under the calibration interval's upper end (so under the target: the promise), and the two
// measurements must agree statistically (their intervals overlap; the held-out one has sampling noise of its own, so
// its point may fall below the calibration interval's lower end, the safe side). Returns the choice.
Candidate check_held_out(const float* t, size_t rows, uint32_t m, const std::vector<std::string>& labels,
                         const std::vector<SweepConfig>& candidates, double target, double bits, Mode mode) {
  const Split cal = split_by_identity(t, rows, m, labels, 0), held = split_by_identity(t, rows, m, labels, 1);
  security::EstimateOptions est;
  est.trials = 2000;
  const auto factory = [&](const SweepConfig& c) { return weak_engine(m, c); };
  const auto rec = recommend_by_far(cal.templates.data(), cal.labels.size(), cal.labels, target, bits, candidates, factory,
                                    mode, est);
  EXPECT_TRUE(rec.chosen.has_value());
  if (!rec.chosen) return {};
  const Candidate best = rec.candidates[*rec.chosen];
  const auto& fit = best.measured.result;
  const double upper = best.measured.far_upper();
  EXPECT_LE(upper, target);
  Protocol again = best.config.protocol;
  again.seed += 1000;  // other draws and another impostor sample
  auto engine = factory(best.config);
  const auto re = evaluate_protocol(*engine, held.templates.data(), held.labels.size(), held.labels, again, mode).result;
  EXPECT_LE(re.far, upper) << best.config.text;
  EXPECT_LE(re.far_ci.lo, upper) << best.config.text;
  EXPECT_GE(re.far_ci.hi, fit.far_ci.lo) << best.config.text;
  std::cout << "[ held-out ] " << best.config.text << ": calibration FAR " << fit.far << " [" << fit.far_ci.lo << ", "
            << fit.far_ci.hi << "] (crossed bootstrap up to " << best.measured.far_ci_identity.hi << ", pairs of people up to " << best.measured.far_units.ci.hi << "), held-out FAR " << re.far << " [" << re.far_ci.lo << ", " << re.far_ci.hi << "]\n";
  EXPECT_GT(re.tar, 0.0);
  // The choice is the highest-TAR certified one: every candidate with a higher TAR failed certification.
  for (const auto& c : rec.candidates)
    if (c.measured.result.tar > fit.tar) EXPECT_FALSE(c.certified) << c.config.text;
  return best;
}

// Synthetic identities whose impostors sit near 60–70° (centres 45° around a common direction), images 20–40° from
// their centre; n = m = 32 codes with α = 2…7 (weak codes: this tests the mechanics, `bits` is set to 8). Small α
// accepts more of everything; the target FAR must rule out the smallest α, and the choice must hold on held-out identities.
TEST(RecommendFar, SyntheticChoiceHoldsOnHeldOutIdentities) {
  const uint32_t m = 32;
  const auto s = testing::synthetic_identities(m, 400, 6, 45, 20, 40, 11);
  SweepConfig base;
  base.protocol.samples = true;
  base.protocol.enroll_samples = 3;
  base.protocol.impostors = 20000;
  std::vector<SweepConfig> candidates;
  for (uint32_t a = 2; a <= 7; ++a) {
    SweepConfig c = base;
    c.alpha = a;
    c.text = "alpha=" + std::to_string(a);
    candidates.push_back(c);
  }
  const double target = 0.01;
  const auto best = check_held_out(s.templates.data(), s.rows(), m, s.labels, candidates, target, 8, Mode::Fast);
  EXPECT_GT(best.config.alpha, 2u);  // the smallest α accepts too many impostors: the target had to decide
}

TEST(SweepConfig, ListDecodingKeys) {
  const auto c = parse_sweep("alpha=26 list-angle=30.5 list-max=65536; alpha=26 list-angle=0", SweepConfig{});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_DOUBLE_EQ(c[0].list_angle_deg, 30.5);
  EXPECT_EQ(c[0].list_max, 65536u);
  EXPECT_EQ(c[1].list_angle_deg, 0.0);
  EXPECT_EQ(c[1].list_max, 4096u);  // the library's default
  for (const char* bad : {"list-angle=80.5", "list-angle=-3", "list-angle=x", "list-max=2000000", "list-max=1e3"})
    EXPECT_EQ(error_code_of([&] { parse_sweep(bad, SweepConfig{}); }), ErrorCode::InvalidArgument) << bad;
}

TEST(SweepConfig, DegreesAreWholeNumbersInRange) {
  EXPECT_EQ(parse_degrees("30.5", 80), 30.5);
  EXPECT_EQ(parse_degrees("80", 80), 80.0);
  for (const char* bad : {"", "0", "-3", "80.01", "30x", "x", "nan", "inf"})
    EXPECT_FALSE(parse_degrees(bad, 80).has_value()) << "'" << bad << "'";
}

// The default candidates: plain codes from the smallest α with the bits, then list decoding on that α only, at angles
// past its θ50 and within the widest angle that keeps the bits (so each list candidate still has them).
TEST(RecommendFar, DefaultListCandidatesKeepTheBits) {
  security::EstimateOptions est;
  est.trials = 2000;
  const auto angles = auto_list_angles(128, 112, est);
  ASSERT_FALSE(angles.empty());
  EXPECT_LE(angles.size(), 5u);
  EXPECT_TRUE(std::is_sorted(angles.begin(), angles.end()));
  EXPECT_LE(angles.back(), security::widest_list_angle(128, 112));
  SweepConfig base;
  const auto c = default_candidates(128, 112, base, 2, est, angles);
  ASSERT_EQ(c.size(), 3 + angles.size());
  const uint32_t smallest = c[0].alpha;
  EXPECT_GT(angles.front(), security::theta50_code_deg(128, smallest, est));
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].list_angle_deg, i < 3 ? 0.0 : angles[i - 3]) << c[i].text;
    if (i < 3) continue;
    EXPECT_EQ(c[i].alpha, smallest);
    EXPECT_NE(c[i].text.find("list-angle="), std::string::npos) << c[i].text;
    security::EstimateOptions with_list = est;
    with_list.list = {c[i].list_angle_deg, c[i].list_max};
    EXPECT_GE(security::estimate(128, 128, smallest, nullptr, with_list).effective_bits, 112.0) << c[i].text;
  }
}

// List-decoding candidates in the FAR-certified choice: on synthetic identities (m = 32, weak codes, bits = 8) the
// list decoder accepts more genuine probes at the same α, and whatever is chosen holds its FAR on held-out people.
TEST(RecommendFar, ListDecodingCandidatesHoldOnHeldOutIdentities) {
  const uint32_t m = 32;
  const auto s = testing::synthetic_identities(m, 400, 6, 45, 20, 40, 13);
  SweepConfig base;
  base.protocol.samples = true;
  base.protocol.enroll_samples = 3;
  base.protocol.impostors = 20000;
  std::vector<SweepConfig> candidates;
  for (double angle : {0.0, 30.0, 34.0, 38.0}) {
    SweepConfig c = base;
    c.alpha = 4;
    c.list_angle_deg = angle;
    c.list_max = 1u << 14;
    c.text = "alpha=4 list-angle=" + std::to_string(angle);
    candidates.push_back(c);
  }
  const auto best = check_held_out(s.templates.data(), s.rows(), m, s.labels, candidates, 0.01, 8, Mode::Fast);
  EXPECT_GT(best.config.list_angle_deg, 0.0) << "a list decoder should win at this target";
}

TEST(RecommendFar, BitsRequirementExcludesWeakCodesAndNoneQualifyingChoosesNothing) {
  const uint32_t m = 32;
  const auto s = testing::synthetic_identities(m, 40, 4, 45, 20, 40, 12);
  SweepConfig c;
  c.alpha = 6;
  c.text = "alpha=6";
  security::EstimateOptions est;
  est.trials = 500;
  const auto rec = recommend_by_far(s.templates.data(), s.rows(), s.labels, 0.01, 112, {c},
                                    [&](const SweepConfig& x) { return weak_engine(m, x); }, Mode::Fast, est);
  ASSERT_EQ(rec.candidates.size(), 1u);
  EXPECT_FALSE(rec.chosen.has_value());
  EXPECT_EQ(rec.candidates[0].excluded, "effective bits below the requirement");
  EXPECT_EQ(rec.candidates[0].measured.result.genuine_pairs, 0u);  // never measured
  EXPECT_EQ(error_code_of([&] {
              recommend_by_far(s.templates.data(), s.rows(), s.labels, 0, 112, {c},
                               [&](const SweepConfig& x) { return weak_engine(m, x); }, Mode::Fast, est);
            }),
            ErrorCode::InvalidArgument);
}

// LFW OpenFace-128, split by identity: single images (all pairs, first 4 images per identity), n = m = 128, α = 14
// and 16, target FAR 2·10⁻³.
TEST(RecommendFar, LfwChoiceHoldsOnHeldOutIdentities) {
  SPHEREMASK_LOAD_LFW_OR_SKIP(lfw);
  const auto& x = lfw.x;
  const auto& labels = lfw.labels;
  std::vector<SweepConfig> candidates;
  for (uint32_t a = 14; a <= 16; a += 2) {
    SweepConfig c;
    c.alpha = a;
    c.protocol.impostors = 20000;
    c.protocol.max_per_identity = 4;
    c.text = "alpha=" + std::to_string(a);
    candidates.push_back(c);
  }
  const auto best = check_held_out(x.data(), x.rows(), 128, labels, candidates, 2e-3, 70, Mode::Fast);
  EXPECT_EQ(best.config.alpha, 14u);  // 16 certifies too but accepts fewer genuine pairs
}

}  // namespace
}  // namespace spheremask::eval
