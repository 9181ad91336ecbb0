// `spheremask attack invert` and `attack dictionary` run as child processes: JSON shape, results on
// key-less expander records and plain records, and bad input (one line on stderr, exit 2, no stdout).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

using testing::run_cli;
using testing::ScratchDir;

size_t lines(const std::string& s) { return size_t(std::count(s.begin(), s.end(), '\n')); }

// templates.npy (rows × dim unit rows); e.smte (32 -> 128, published init); records of the expander
// in exp/ (alpha 8, no application key) and plain records in plain/.
void make_inputs(const ScratchDir& dir, size_t rows) {
  const auto t = testing::random_unit_rows(rows, 32, 11);
  write_npy_f32(dir.file("t32.npy"), t.data(), rows, 32);
  const auto p = testing::random_unit_rows(rows, 128, 12);
  write_npy_f32(dir.file("t128.npy"), p.data(), rows, 128);
  ASSERT_EQ(run_cli({"expander", "init", "--m", "32", "--n", "128", "--seed", "1", "--out", dir.file("e.smte")}).exit_code, 0);
  ASSERT_EQ(run_cli({"expander", "init", "--m", "32", "--n", "128", "--seed", "2", "--out", dir.file("other.smte")}).exit_code, 0);
  ASSERT_EQ(run_cli({"enroll", "--templates", dir.file("t32.npy"), "--out", dir.file("exp"), "--expander",
                          dir.file("e.smte"), "--alpha", "8", "--allow-weak", "--backend", "cpu"}).exit_code, 0);
  ASSERT_EQ(run_cli({"enroll", "--templates", dir.file("t128.npy"), "--out", dir.file("plain"), "--alpha", "8",
                          "--allow-weak", "--backend", "cpu"}).exit_code, 0);
}

TEST(AttackCli, InvertsKeylessExpanderRecordsAndReportsJson) {
  ScratchDir dir("attack-cli-json");
  make_inputs(dir, 4);
  const auto r = run_cli({"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("e.smte"),
                               "--allow-weak", "--threads", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["records"], 4);
  EXPECT_EQ(j["inverted"], 4);
  ASSERT_EQ(j["results"].size(), 4u);
  EXPECT_EQ(j["results"][0]["record"], "record-0000000.smhd");
  for (const auto& x : j["results"]) {
    EXPECT_TRUE(x["inverted"].get<bool>());
    EXPECT_TRUE(x["method"].is_string());
    EXPECT_GE(x["seconds"].get<double>(), 0.0);
  }
  const auto limited = run_cli({"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("e.smte"),
                                     "--allow-weak", "--limit", "2", "--json"});
  ASSERT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_EQ(nlohmann::json::parse(limited.out)["records"], 2);
  // The same attack on a store: results are named by the store ids.
  testing::write_text(dir.file("ids.txt"), testing::numbered_ids(4));
  ASSERT_EQ(run_cli({"enroll", "--templates", dir.file("t32.npy"), "--ids", dir.file("ids.txt"), "--store",
                          dir.file("db.sqlite"), "--expander", dir.file("e.smte"), "--alpha", "8", "--allow-weak",
                          "--backend", "cpu"}).exit_code, 0);
  const auto stored = run_cli({"attack", "invert", "--store", dir.file("db.sqlite"), "--expander", dir.file("e.smte"),
                                    "--allow-weak", "--json"});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  const auto js = nlohmann::json::parse(stored.out);
  EXPECT_EQ(js["inverted"], 4);
  EXPECT_EQ(js["results"][0]["record"], "subject-0");
}

TEST(AttackCli, PlainRecordsAreNotInverted) {
  ScratchDir dir("attack-cli-plain");
  make_inputs(dir, 3);
  const auto r = run_cli({"attack", "invert", "--records", dir.file("plain"), "--allow-weak", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["records"], 3);
  EXPECT_EQ(j["inverted"], 0);
  for (const auto& x : j["results"]) EXPECT_EQ(x["method"], "none");
}

TEST(AttackCli, DictionaryCountsOpenedRecordsAndExcludesOwnersOfAStore) {
  ScratchDir dir("attack-cli-dict");
  const auto t = testing::random_unit_rows(4, 128, 21);
  write_npy_f32(dir.file("faces.npy"), t.data(), 4, 128);
  testing::write_text(dir.file("ids.txt"), testing::numbered_ids(4));
  ASSERT_EQ(run_cli({"enroll", "--templates", dir.file("faces.npy"), "--ids", dir.file("ids.txt"), "--store",
                          dir.file("db.sqlite"), "--alpha", "16", "--backend", "cpu"}).exit_code, 0);
  // The enrolled faces themselves as the dictionary: each opens its own record and (random 128-dim
  // templates being far apart) no other, so 4 accepts in 16 attempts = 2 bits.
  auto r = run_cli({"attack", "dictionary", "--store", dir.file("db.sqlite"), "--templates", dir.file("faces.npy"),
                         "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["records"], 4);
  EXPECT_EQ(j["opened"], 4);
  EXPECT_EQ(j["attempts"].get<double>(), 16.0);
  EXPECT_NEAR(j["per_attempt_bits"].get<double>(), 2.0, 1e-9);
  EXPECT_NEAR(j["code_bits"].get<double>(), 82.34, 0.01);  // C(128, 16)
  // Labelled with the owners' ids: genuine pairs are not attempts, and impostors open nothing.
  r = run_cli({"attack", "dictionary", "--store", dir.file("db.sqlite"), "--templates", dir.file("faces.npy"),
                    "--labels", dir.file("ids.txt"), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["opened"], 0);
  EXPECT_EQ(j["attempts"].get<double>(), 12.0);
  EXPECT_TRUE(j["per_attempt_bits_is_lower_bound"].get<bool>());
}

TEST(AttackCli, SecurityPrintsTheMeasuredInversionNextToTheBitsAndRecommendsNothingItBreaks) {
  ScratchDir dir("attack-cli-security");
  ASSERT_EQ(run_cli({"expander", "init", "--m", "32", "--n", "128", "--seed", "1", "--out", dir.file("e.smte")}).exit_code, 0);
  auto r = run_cli({"security", "--expander", dir.file("e.smte"), "--alpha", "8", "--attack-records", "4", "--trials", "300", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["attacks"]["code_bits"].get<double>(), j["bits"].get<double>(), 1e-12);
  EXPECT_EQ(j["attacks"]["invert"]["records"], 4);
  EXPECT_EQ(j["attacks"]["invert"]["inverted"], 4);
  EXPECT_TRUE(j["attacks"]["broken"].get<bool>());
  r = run_cli({"security", "--expander", dir.file("e.smte"), "--alpha", "8", "--attack-records", "2", "--trials", "300"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("attack invert: 2 of 2"), std::string::npos) << r.out;
  // Plain IronMask: the attack does not apply, and the section says why.
  r = run_cli({"security", "--trials", "300", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["attacks"]["invert"]["measured"].get<bool>());
  EXPECT_FALSE(j["attacks"]["broken"].get<bool>());
  // --recommend refuses a configuration the attack breaks, unless records will carry a secret key.
  r = run_cli({"security", "--expander", dir.file("e.smte"), "--recommend", "--bits", "10", "--attack-records", "2", "--trials", "300"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("attack invert"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  r = run_cli({"security", "--expander", dir.file("e.smte"), "--recommend", "--bits", "10", "--attack-records", "2", "--trials", "300",
                    "--assume-app-key", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(nlohmann::json::parse(r.out)["attacks"]["broken_without_app_key"].get<bool>());
}

TEST(AttackCli, BadInputIsOneLineAndExitTwo) {
  ScratchDir dir("attack-cli-bad");
  make_inputs(dir, 2);
  std::filesystem::create_directories(dir.file("mixed"));
  std::filesystem::copy_file(dir.file("exp/record-0000000.smhd"), dir.file("mixed/a.smhd"));
  std::filesystem::copy_file(dir.file("plain/record-0000000.smhd"), dir.file("mixed/b.smhd"));
  testing::write_text(dir.file("short.key"), "abcd");
  const std::vector<std::vector<std::string>> bad = {
      {"attack", "invert", "--records", dir.file("mixed"), "--expander", dir.file("e.smte"), "--allow-weak"},
      {"attack", "invert", "--records", dir.file("exp"), "--allow-weak"},                                      // no expander
      {"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("other.smte"), "--allow-weak"},  // wrong one
      {"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("missing.smte"), "--allow-weak"},
      {"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("e.smte"), "--allow-weak", "--app-key-file",
       dir.file("absent.key")},
      {"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("e.smte"), "--allow-weak", "--app-key-file",
       dir.file("short.key")},
      {"attack", "invert", "--records", dir.file("exp"), "--expander", dir.file("e.smte"), "--allow-weak", "--method", "brute"},
      {"attack", "invert", "--allow-weak"},  // neither --records nor --store
      {"attack", "dictionary", "--records", dir.file("plain"), "--allow-weak", "--templates", dir.file("t32.npy")},
  };
  for (const auto& args : bad) {
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << " " << r.err;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

}  // namespace
}  // namespace spheremask
