// PLRA (attack link): links and inverts renewals of one person under one transform at small n, fails on
// records under different application keys, and its cost formula gives known answers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <nlohmann/json.hpp>

#include "attack/plra.hpp"
#include "attack/plra_experiment.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "support/run_cli.hpp"
#include "tools/npy.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using attack::PlraExperiment;
using attack::PlraKeys;

PlraExperiment small(uint32_t records, double noise_deg, PlraKeys keys) {
  PlraExperiment e;
  e.n = 64;
  e.alpha = 6;
  e.records = records;
  e.noise_deg = noise_deg;
  e.keys = keys;
  e.seed = 3;
  return e;
}

TEST(Plra, LinksAndInvertsRenewalsWithoutNoise) {
  const auto r = attack::run_plra_experiment(small(63, 0, PlraKeys::None));
  EXPECT_TRUE(r.attack.linked);
  EXPECT_EQ(r.attack.opened_count, 63u);
  EXPECT_EQ(r.accepted, 63u);  // the engine accepts the recovered template against every record
  EXPECT_EQ(r.attack.rows, 63u);
  EXPECT_GT(r.attack.trials, 0u);
}

TEST(Plra, LinksRenewalsFiveDegreesApart) {
  const auto r = attack::run_plra_experiment(small(63, 5, PlraKeys::None));
  EXPECT_TRUE(r.attack.linked);
  EXPECT_EQ(r.attack.opened_count, 63u);
  EXPECT_EQ(r.accepted, 63u);
}

TEST(Plra, SeveralRowsPerRecordWhenRecordsAreFew) {
  PlraExperiment e = small(8, 0, PlraKeys::None);
  e.alpha = 4;
  const auto r = attack::run_plra_experiment(e);
  ASSERT_EQ(r.attack.rows_per_record.size(), 8u);
  EXPECT_EQ(r.attack.rows_per_record[0], 8u);  // 63 rows over 8 records
  EXPECT_TRUE(r.attack.linked);
  EXPECT_EQ(r.accepted, 8u);
}

TEST(Plra, OneApplicationKeyForAllRenewalsDoesNotStopIt) {
  // The key hides t from the attacker, but S_app·t_j are renewals of one vector: codewords (keys) fall.
  const auto r = attack::run_plra_experiment(small(63, 0, PlraKeys::Same));
  EXPECT_TRUE(r.attack.linked);
  EXPECT_EQ(r.attack.opened_count, 63u);
  EXPECT_EQ(r.accepted, 63u);  // and a holder of the key gets a template every record accepts
}

TEST(Plra, DifferentApplicationKeysAreNeitherLinkedNorInverted) {
  PlraExperiment e = small(63, 0, PlraKeys::Different);
  const double expected = std::exp2(attack::plra_log2_trials(64, 6, attack::plra_split_rows(63, 63)));
  e.attack.max_trials = uint64_t(4 * expected);  // 4x what the same-key records need on average
  const auto r = attack::run_plra_experiment(e);
  EXPECT_FALSE(r.attack.linked);
  EXPECT_EQ(r.attack.opened_count, 0u);
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(r.attack.trials, e.attack.max_trials);
  EXPECT_TRUE(r.attack.code_vector.empty());
}

TEST(Plra, CostFormulaKnownAnswers) {
  // One row from each of 511 records at 512/16: 511·log2(512/496).
  EXPECT_NEAR(attack::plra_log2_trials(512, 16, attack::plra_split_rows(511, 511)), 511 * std::log2(512.0 / 496.0), 1e-9);
  // Two records, 256 + 255 rows (the paper's two-sketch case): log2 C(512,k)/C(496,k) by lgamma.
  auto binom = [](double n, double k) { return (std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1)) / std::log(2.0); };
  const double two = binom(512, 256) - binom(496, 256) + binom(512, 255) - binom(496, 255);
  EXPECT_NEAR(attack::plra_log2_trials(512, 16, attack::plra_split_rows(511, 2)), two, 1e-6);
  EXPECT_TRUE(std::isinf(attack::plra_log2_trials(64, 40, attack::plra_split_rows(63, 2))));  // 32 rows > n − α
  EXPECT_EQ(attack::plra_rows_for_noise(512, 0), 511u);
  EXPECT_EQ(attack::plra_rows_for_noise(512, 8.7), 531u);
  EXPECT_EQ(attack::plra_rows_for_noise(512, 36), 911u);
  EXPECT_EQ(attack::plra_rows_for_noise(64, 0), 63u);
  EXPECT_EQ(attack::plra_split_rows(10, 4), (std::vector<uint32_t>{3, 3, 2, 2}));
}

std::vector<Record> plain_records(uint32_t n, uint32_t alpha, size_t count, uint32_t seed) {
  Params p;
  p.m = p.n = n;
  p.alpha = alpha;
  p.allow_weak = true;
  const auto t = testing::random_unit_rows(count, n, seed);
  return make_engine(p, Backend::Cpu)->enroll(t.data(), count);
}

TEST(Plra, BadInputsAreNamedErrors) {
  auto expect_invalid = [](auto&& f, const std::string& needle) {
    try {
      f();
      FAIL() << "expected InvalidArgument";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const auto one = plain_records(32, 4, 1, 1);
  expect_invalid([&] { attack::plra_attack(one, {}); }, "at least two");
  auto mixed = plain_records(32, 4, 2, 2);
  mixed.push_back(plain_records(48, 4, 1, 3)[0]);
  expect_invalid([&] { attack::plra_attack(mixed, {}); }, "record 2");
  attack::PlraOptions few;
  few.rows = 10;
  expect_invalid([&] { attack::plra_attack(plain_records(32, 4, 2, 4), few); }, "n - 1");
  attack::PlraOptions many;
  many.rows = 31;  // 16 rows of each of 2 records, and only 32 − 20 = 12 outside a support
  const auto wide = plain_records(32, 20, 2, 5);
  expect_invalid([&] { attack::plra_attack(wide, many); }, "more records");
}

// ---- CLI ----

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

TEST(PlraCli, SyntheticSameKeyLinksDifferentKeysDoNot) {
  testing::ScratchDir dir("plra-cli");
  auto r = testing::run_cli({"attack", "link", "--synthetic", "--n", "64", "--alpha", "6", "--records", "63",
                                  "--keys", "same", "--seed", "5", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["linked"], true);
  EXPECT_EQ(j["opened"], 63);
  EXPECT_EQ(j["accepted"], 63);
  EXPECT_GT(j["trials"].get<uint64_t>(), 0u);
  EXPECT_NEAR(j["estimate"]["log2_trials"].get<double>(), 63 * std::log2(64.0 / 58.0), 1e-9);
  r = testing::run_cli({"attack", "link", "--synthetic", "--n", "64", "--alpha", "6", "--records", "63",
                             "--keys", "different", "--max-trials", "1000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["linked"], false);
  EXPECT_EQ(j["opened"], 0);
  EXPECT_EQ(j["trials"], 1000);
}

TEST(PlraCli, RecordsDirectoryOfOnePersonIsInverted) {
  testing::ScratchDir dir("plra-dir");
  const uint32_t n = 64;
  const auto center = testing::random_unit_rows(1, n, 8);
  std::vector<float> t;
  std::mt19937 rng(100);
  for (uint32_t j = 0; j < 63; ++j) {
    const auto row = testing::at_angle(center.data(), n, 3.0, rng);
    t.insert(t.end(), row.begin(), row.end());
  }
  write_npy_f32(dir.file("t.npy"), t.data(), 63, n);
  testing::write_text(dir.file("key.hex"), std::string(64, 'c'));
  auto r = testing::run_cli({"enroll", "--templates", dir.file("t.npy"), "--out", dir.file("recs"), "--alpha", "6",
                                  "--allow-weak", "--backend", "cpu", "--app-key-file", dir.file("key.hex")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = testing::run_cli({"attack", "link", "--records", dir.file("recs"), "--allow-weak", "--noise-deg", "3",
                             "--app-key-file", dir.file("key.hex"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["mode"], "records");
  EXPECT_EQ(j["linked"], true);
  EXPECT_EQ(j["opened"], 63);
  EXPECT_EQ(j["accepted"], 63);
}

// 63 renewals of one person at 3° around a center, m = 32 -> n = 64 through expander e.smte (and a second,
// different expander other.smte), enrolled with an application key in keyed/ and without one in keyless/.
void write_expander_person(const testing::ScratchDir& dir) {
  const auto center = testing::random_unit_rows(1, 32, 21);
  std::vector<float> t;
  std::mt19937 rng(200);
  for (uint32_t j = 0; j < 63; ++j) {
    const auto row = testing::at_angle(center.data(), 32, 3.0, rng);
    t.insert(t.end(), row.begin(), row.end());
  }
  write_npy_f32(dir.file("t.npy"), t.data(), 63, 32);
  testing::write_text(dir.file("key.hex"), std::string(64, 'd'));
  for (const char* seed : {"1", "2"})
    ASSERT_EQ(testing::run_cli({"expander", "init", "--m", "32", "--n", "64", "--seed", seed, "--out",
                                dir.file(seed[0] == '1' ? "e.smte" : "other.smte")}).exit_code, 0);
  const std::vector<std::string> enroll = {"enroll", "--templates", dir.file("t.npy"), "--expander", dir.file("e.smte"),
                                           "--alpha", "6", "--allow-weak", "--backend", "cpu", "--out"};
  auto keyless = enroll;
  keyless.push_back(dir.file("keyless"));
  auto keyed = enroll;
  keyed.insert(keyed.end(), {dir.file("keyed"), "--app-key-file", dir.file("key.hex")});
  ASSERT_EQ(testing::run_cli(keyless).exit_code, 0);
  ASSERT_EQ(testing::run_cli(keyed).exit_code, 0);
}

TEST(PlraCli, ExpanderRecordsAreJudgedThroughTheExpanderOrSayWhyNot) {
  testing::ScratchDir dir("plra-expander");
  write_expander_person(dir);
  auto link = [&](const std::string& recs, std::vector<std::string> extra) {
    std::vector<std::string> args = {"attack", "link", "--records", dir.file(recs), "--allow-weak", "--noise-deg", "3"};
    args.insert(args.end(), extra.begin(), extra.end());
    return testing::run_cli(args);
  };
  // Without the expander the code-space vector S_app·TE(t) is no template: the report says so, never a bare null.
  auto r = link("keyless", {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["linked"], true);
  EXPECT_EQ(j["opened"], 63);
  EXPECT_FALSE(j.contains("accepted"));
  EXPECT_NE(j["accepted_not_measured"].get<std::string>().find("--expander"), std::string::npos);
  // With it, the vector is pulled back to a template that every record's engine accepts.
  r = link("keyless", {"--expander", dir.file("e.smte"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["opened"], 63);
  EXPECT_EQ(j["accepted"], 63);
  EXPECT_FALSE(j.contains("accepted_not_measured"));
  // Keyed records: linked without the key (one transform for all renewals), judged only with it.
  r = link("keyed", {"--expander", dir.file("e.smte")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("63 of 63 records opened"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("acceptance not measured"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--app-key-file"), std::string::npos) << r.out;
  r = link("keyed", {"--expander", dir.file("e.smte"), "--app-key-file", dir.file("key.hex"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["accepted"], 63);
  // The wrong expander, or one given for plain records, is an error before any attack.
  r = link("keyless", {"--expander", dir.file("other.smte"), "--json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("expander"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(PlraCli, BadInputsExitTwoWithOneLine) {
  testing::ScratchDir dir("plra-bad");
  std::filesystem::create_directories(dir.file("empty"));
  const std::vector<std::vector<std::string>> cases = {
      {"attack", "link", "--records", dir.file("missing")},
      {"attack", "link", "--records", dir.file("empty")},
      {"attack", "link", "--synthetic", "--records", "1"},
      {"attack", "link", "--synthetic", "--records", "x"},
      {"attack", "link", "--synthetic", "--records", "8", "--noise-deg", "95"},
      {"attack", "link", "--synthetic", "--records", "2", "--n", "64", "--alpha", "40"},
      {"attack", "link", "--records", dir.file("empty"), "--estimate-only"},
      {"attack", "link", "--synthetic", "--records", "8", "--expander", dir.file("e.smte")},
  };
  for (const auto& args : cases) {
    const auto r = testing::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace spheremask
