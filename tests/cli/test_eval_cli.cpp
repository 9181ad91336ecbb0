// `eval` protocols, `eval --sweep` and `security --recommend --target-far` through the command line: JSON fields,
// one line per configuration, and bad input (K = 0, K larger than any identity, label count mismatch, unknown sweep
// key, --target-far without data) refused with one line on stderr, exit code 2 and nothing on stdout.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "support/eval_synthetic.hpp"
#include "tools/npy.hpp"
#include "support/run_cli.hpp"

namespace spheremask {
namespace {

using testing::CliResult;
using testing::ScratchDir;

class EvalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    SPHEREMASK_SKIP_WITHOUT_CLI();
    const auto s = testing::synthetic_identities(32, 30, 6, 60, 15, 35, 5);
    write_npy_f32(npy_, s.templates.data(), s.rows(), 32);
    std::string text;
    for (const auto& l : s.labels) text += l + "\n";
    testing::write_text(labels_, text);
    testing::write_text(short_labels_, text.substr(0, text.size() - 6));  // drops the last label ("id-29\n")
  }
  CliResult run(std::vector<std::string> args) { return testing::run_cli(args); }
  std::vector<std::string> eval_args(std::vector<std::string> extra) {
    std::vector<std::string> a = {"eval", "--templates", npy_, "--labels", labels_, "--n", "32", "--alpha", "5",
                                  "--allow-weak", "--backend", "cpu", "--impostors", "500", "--json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  static void expect_refused(const CliResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    std::string last;
    size_t lines = 0;
    for (std::istringstream in(r.err); std::getline(in, last);)
      if (last.rfind("spheremask: warning", 0) != 0) ++lines;  // the weak-code warning is not the error
    EXPECT_EQ(lines, 1u) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  }

  ScratchDir dir_{"eval-cli"};
  std::string npy_ = dir_.file("t.npy"), labels_ = dir_.file("labels.txt"), short_labels_ = dir_.file("short.txt");
};

TEST_F(EvalCli, SamplesProtocolJson) {
  const auto r = run(eval_args({"--enroll-samples", "3", "--probe-frames", "1", "--mode", "exact"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["protocol"]["name"], "samples");
  EXPECT_EQ(j["protocol"]["enroll_samples"], 3);
  EXPECT_EQ(j["protocol"]["identities"], 30);
  EXPECT_EQ(j["genuine_pairs"], 30 * 3);  // 6 images: 3 enrolled, 3 probes each
  EXPECT_EQ(j["impostor_pairs"], 500);
  for (const char* k : {"tar", "far", "tar_ci", "far_ci", "baseline_tar_at_far", "baseline_curve", "far_ci_identity",
                        "far_ci_crossed", "far_ci_units", "far_units", "far_upper", "genuine_angles"})
    EXPECT_TRUE(j.contains(k)) << k;
  // The upper bound quoted is the largest of the four intervals' upper ends.
  double upper = 0;
  for (const char* k : {"far_ci", "far_ci_identity", "far_ci_crossed", "far_ci_units"})
    upper = std::max(upper, j[k][1].get<double>());
  EXPECT_DOUBLE_EQ(j["far_upper"].get<double>(), upper);
  EXPECT_LE(j["far_units"]["effective_n"].get<double>(), j["far_units"]["units"].get<double>());
  size_t binned = 0;
  for (const auto& b : j["genuine_angles"]["bins"]) binned += b["pairs"].get<size_t>();
  EXPECT_EQ(binned, j["genuine_pairs"].get<size_t>());
  EXPECT_GE(j["tar"].get<double>(), j["tar_ci"][0].get<double>());
  EXPECT_EQ(j["baseline_curve"]["far"].size(), j["baseline_curve"]["tar"].size());
}

TEST_F(EvalCli, SweepWritesOneLinePerConfiguration) {
  const std::string te = dir_.file("te.smte"), key = dir_.file("app.key");
  ASSERT_EQ(run({"expander", "init", "--m", "32", "--n", "64", "--out", te}).exit_code, 0);
  testing::write_text(key, std::string(64, 'a'));
  const auto r = run(eval_args({"--mode", "fast", "--sweep",
                                "alpha=4; alpha=6 enroll-samples=2 reserve=2; n=0 alpha=5 expander=" + te +
                                    " app-key-file=" + key}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["config"]["n"], 64);  // the expander's output dimension
  EXPECT_TRUE(lines[2]["config"]["expander_id"].is_string());
  EXPECT_TRUE(lines[2]["config"]["app_key"].get<bool>());
  EXPECT_EQ(lines[0]["config"]["alpha"], 4);
  EXPECT_EQ(lines[0]["protocol"]["name"], "all-pairs");
  EXPECT_EQ(lines[1]["config"]["alpha"], 6);
  EXPECT_EQ(lines[1]["protocol"]["enroll_samples"], 2);
  EXPECT_EQ(lines[1]["config"]["sweep"], "alpha=6 enroll-samples=2 reserve=2");
}

TEST_F(EvalCli, BadInputIsOneLineExitTwoNothingWritten) {
  expect_refused(run(eval_args({"--enroll-samples", "0"})), "at least 1");
  expect_refused(run(eval_args({"--probe-frames", "0"})), "at least 1");
  expect_refused(run(eval_args({"--enroll-samples", "6"})), "largest identity has 6");
  auto a = eval_args({});
  a[4] = short_labels_;
  expect_refused(run(a), "179 labels for 180 template rows");
  // A bad configuration late in a sweep stops it before the first line.
  expect_refused(run(eval_args({"--sweep", "alpha=4; alpha=5 frames=2"})), "unknown key 'frames'");
  expect_refused(run(eval_args({"--sweep", "alpha=4; alpha=5 enroll-samples=9"})), "largest identity has 6");
  expect_refused(run({"security", "--recommend", "--target-far", "0.01"}), "--templates and --labels");
  expect_refused(run({"security", "--target-far", "0.01", "--templates", npy_, "--labels", labels_}), "--recommend");
}

TEST_F(EvalCli, RecommendByTargetFar) {
  const std::string te = dir_.file("te128.smte"), key = dir_.file("app.key");
  ASSERT_EQ(run({"expander", "init", "--m", "32", "--n", "128", "--out", te}).exit_code, 0);
  testing::write_text(key, std::string(64, 'a'));
  const auto r = run({"security", "--recommend", "--target-far", "0.05", "--templates", npy_, "--labels", labels_,
                      "--bits", "10", "--trials", "500", "--candidates",
                      "alpha=3; alpha=5; expander=te.smte; n=0 alpha=8 expander=" + te + " app-key-file=" + key,
                      "--attack-records", "2", "--impostors", "2000", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["candidates"].size(), 4u);
  EXPECT_NE(j["candidates"][2]["excluded"].get<std::string>().find("application key"), std::string::npos);
  EXPECT_FALSE(j["candidates"][0].contains("attacks"));  // plain IronMask: nothing for attack invert to search
  // The keyed expander candidate was attacked: without the key nothing, with it (the control) every record.
  const auto& keyed = j["candidates"][3]["attacks"];
  EXPECT_EQ(keyed["invert"]["without_key"]["records"], 2);
  EXPECT_EQ(keyed["invert"]["without_key"]["inverted"], 0);
  EXPECT_EQ(keyed["invert"]["without_key"]["codewords_found"], 0);
  EXPECT_EQ(keyed["invert"]["with_key_control"]["inverted"], 2);
  EXPECT_FALSE(keyed["broken"].get<bool>());
  EXPECT_LE(j["chosen"]["far_ci"][1].get<double>(), 0.05);
  EXPECT_LE(j["chosen"]["far_ci_identity"][1].get<double>(), 0.05);
  EXPECT_GE(j["chosen"]["far_upper"].get<double>(), j["chosen"]["far_ci"][1].get<double>());
  EXPECT_TRUE(j["chosen"]["certified"].get<bool>());
  EXPECT_NE(j["rule"].get<std::string>().find("distinct pairs of people"), std::string::npos);
  EXPECT_NE(j["rule"].get<std::string>().find("attacks"), std::string::npos);
  // An expander candidate is never recommended unattacked.
  expect_refused(run({"security", "--recommend", "--target-far", "0.05", "--templates", npy_, "--labels", labels_,
                      "--bits", "10", "--trials", "500", "--candidates", "n=0 alpha=8 expander=" + te + " app-key-file=" + key,
                      "--attack-records", "0", "--impostors", "2000", "--json"}),
                 "attack records must be at least 1");
}

}  // namespace
}  // namespace spheremask
