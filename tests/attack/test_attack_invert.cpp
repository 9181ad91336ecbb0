// The structural inversion attack (DESIGN §3, "Attacks"): it must break key-less expander records
// (a linear expander and the published recipe, small sizes), fail on plain IronMask and on records
// bound to an application key the attacker lacks, succeed when given the key, and catch a planted leak.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "attack/invert.hpp"
#include "attack/invert_run.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "support/attack_records.hpp"
#include "support/expect_error.hpp"

namespace spheremask {
namespace {

using testing::kAlpha;
using testing::kM;
using testing::kN;
using testing::LinearExpander;
using testing::recipe_expander;
using testing::enroll_attack_records;

std::array<uint8_t, 32> key_of(uint8_t b) {
  std::array<uint8_t, 32> k{};
  k.fill(b);
  return k;
}

attack::InvertRunOptions run_options(std::shared_ptr<const Expander> e) {
  attack::InvertRunOptions o;
  o.expander = std::move(e);
  o.threads = 1;
  return o;
}

size_t inverted(const attack::InvertReport& r) {
  size_t k = 0;
  for (const auto& v : r.verdicts) k += v.inverted;
  return k;
}

TEST(AttackInvert, BreaksEveryRecordOfALinearExpander) {
  auto e = std::make_shared<LinearExpander>(kM, kN);
  const auto s = enroll_attack_records(e, kM, kN, 6);
  const auto report = attack::invert_records(s.records, run_options(e));
  ASSERT_EQ(report.verdicts.size(), 6u);
  EXPECT_LT(report.outside_energy, 1e-4);
  for (const auto& v : report.verdicts) {
    EXPECT_TRUE(v.found);
    EXPECT_TRUE(v.inverted) << v.method;
    EXPECT_EQ(v.app_binding, "none");
  }
}

TEST(AttackInvert, BreaksThePublishedRecipeAndReleasesTheEnrolledKey) {
  const auto e = recipe_expander();
  const auto s = enroll_attack_records(e, kM, kN, 6);
  const attack::TeModel model = attack::fit_te_model(*e);
  EXPECT_GT(model.outside_energy, 0.0);  // non-linear, yet close to a subspace
  EXPECT_LT(model.outside_energy, 0.2);
  for (size_t i = 0; i < s.records.size(); ++i) {
    const attack::InvertOutcome r = attack::invert_record(s.records[i], e.get(), &model, nullptr);
    ASSERT_TRUE(r.found) << "record " << i;
    ASSERT_EQ(r.template_star.size(), kM);
    const auto rec = std::span<const Record>(s.records).subspan(i, 1);
    const auto attacked = s.engine->verify_and_derive(r.template_star.data(), 1, rec, "ctx");
    const auto genuine = s.engine->verify_and_derive(s.templates.data() + i * kM, 1, rec, "ctx");
    ASSERT_EQ(genuine[0].decision, Decision::Accept);
    EXPECT_EQ(attacked[0].decision, Decision::Accept) << "record " << i << " method " << r.method;
    EXPECT_TRUE(attacked[0].key.bytes() == genuine[0].key.bytes());
  }
}

TEST(AttackInvert, EachMethodWorksAlone) {
  const auto e = recipe_expander();
  const auto s = enroll_attack_records(e, kM, kN, 3);
  for (const auto method : {attack::Method::Greedy, attack::Method::L1}) {
    auto o = run_options(e);
    o.invert.method = method;
    o.invert.mean_leak = false;
    const auto report = attack::invert_records(s.records, o);
    EXPECT_EQ(inverted(report), 3u);
    for (const auto& v : report.verdicts) EXPECT_EQ(v.method, method == attack::Method::Greedy ? "greedy" : "l1");
  }
}

TEST(AttackInvert, FailsQuicklyOnPlainIronMask) {
  const auto s = enroll_attack_records(nullptr, kN, kN, 4);
  const auto report = attack::invert_records(s.records, run_options(nullptr));
  for (const auto& v : report.verdicts) {
    EXPECT_FALSE(v.found);
    EXPECT_FALSE(v.inverted);
    EXPECT_EQ(v.method, "none");
    EXPECT_LT(v.seconds, 1.0);
  }
}

TEST(AttackInvert, KeyBoundRecordsResistWithoutTheKeyAndFallWithIt) {
  const auto e = recipe_expander();
  const auto s = enroll_attack_records(e, kM, kN, 3, key_of(0x5a));
  auto o = run_options(e);
  auto report = attack::invert_records(s.records, o);  // the attacker lacks the key
  for (const auto& v : report.verdicts) {
    EXPECT_FALSE(v.found);
    EXPECT_EQ(v.app_binding, "unknown");
  }
  o.app_key = key_of(0x33);  // a wrong key is no better
  report = attack::invert_records(s.records, o);
  for (const auto& v : report.verdicts) EXPECT_FALSE(v.found);
  o.app_key = key_of(0x5a);  // control: the attacker holds the application key
  report = attack::invert_records(s.records, o);
  EXPECT_EQ(inverted(report), 3u);
  for (const auto& v : report.verdicts) EXPECT_EQ(v.app_binding, "known");
}

TEST(AttackInvert, CatchesAPlantedLeakInAPlainRecord) {
  // A faulty writer that scales the rows of P on the codeword's support leaks it through the row norms
  // (P must be orthogonal). The genuine template still verifies, so the record looks sound.
  auto s = enroll_attack_records(nullptr, kN, kN, 1);
  Record& r = s.records[0];
  std::vector<float> y = s.engine->prepare(s.templates.data(), 1);
  const float* p = reinterpret_cast<const float*>(r.p.data());
  std::vector<float> c(kN, 0.0f);
  for (uint32_t i = 0; i < kN; ++i)
    for (uint32_t j = 0; j < kN; ++j) c[i] += p[size_t(i) * kN + j] * y[j];
  detail::Codeword cw;
  ASSERT_TRUE(detail::decode_codeword(c.data(), kN, kAlpha, &cw));
  float* pw = reinterpret_cast<float*>(r.p.data());
  for (uint32_t q = 0; q < kAlpha; ++q)
    for (uint32_t j = 0; j < kN; ++j) pw[size_t(cw.index[q]) * kN + j] *= 1.05f;
  r.mac = keyflow::record_mac(keyflow::mac_key(r.salt.data(), cw), r);
  ASSERT_EQ(s.engine->verify(s.templates.data(), 1, s.records)[0], Decision::Accept);
  const auto report = attack::invert_records(s.records, run_options(nullptr));
  EXPECT_TRUE(report.verdicts[0].found);
  EXPECT_TRUE(report.verdicts[0].inverted);
  EXPECT_EQ(report.verdicts[0].method, "row-norms");
}

TEST(AttackInvert, RefusesMixedConfigurationsAndTheWrongExpander) {
  const auto e = recipe_expander();
  auto a = enroll_attack_records(e, kM, kN, 1);
  const auto b = enroll_attack_records(nullptr, kN, kN, 1);
  std::vector<Record> mixed = {a.records[0], b.records[0]};
  EXPECT_ERROR_CODE(attack::invert_records(mixed, run_options(e)), ErrorCode::Mismatch);
  EXPECT_ERROR_CODE(attack::invert_records(a.records, run_options(std::make_shared<LinearExpander>(kM, kN))), ErrorCode::Mismatch);
  EXPECT_ERROR_CODE(attack::invert_records(a.records, run_options(nullptr)), ErrorCode::Mismatch);
  EXPECT_ERROR_CODE(attack::parse_method("brute"), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace spheremask
