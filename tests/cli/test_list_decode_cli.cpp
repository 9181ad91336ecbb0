// List decoding from the command line: --list-angle/--list-max on an engine command accept probes inside the angle
// that the plain decoder rejects, --list-max 1 is the plain decoder, bad values exit 2 with nothing written, and
// `security` reports what the list costs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "support/run_cli.hpp"
#include "support/test_util.hpp"
#include "tools/npy.hpp"

namespace spheremask {
namespace {

using testing::run_cli;

class CliListDecoding : public ::testing::Test {
 protected:
  static constexpr size_t kRows = 8, kDim = 128;
  void SetUp() override {
    SPHEREMASK_SKIP_WITHOUT_CLI();
    const auto t = testing::random_unit_rows(kRows, kDim, 37);
    std::mt19937 rng(4);
    std::vector<float> probes;
    for (size_t i = 0; i < kRows; ++i) {
      const auto v = testing::at_angle(t.data() + i * kDim, kDim, 37.0, rng);
      probes.insert(probes.end(), v.begin(), v.end());
    }
    write_npy_f32(p("t.npy"), t.data(), kRows, kDim);
    write_npy_f32(p("probes.npy"), probes.data(), kRows, kDim);
    const auto r = run_cli({"enroll", "--templates", p("t.npy"), "--out", p("recs"), "--backend", "cpu", "--alpha", "16",
                            "--allow-weak"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  int accepted(std::vector<std::string> extra) {
    std::vector<std::string> args = {"verify", "--templates", p("probes.npy"), "--records", p("recs"), "--alpha", "16",
                                     "--allow-weak", "--backend", "cpu", "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out)["accepted"].get<int>() : -1;
  }
  std::string p(const std::string& name) const { return dir_.file(name); }
  testing::ScratchDir dir_{std::string("cli-list-") + ::testing::UnitTest::GetInstance()->current_test_info()->name()};
};

TEST_F(CliListDecoding, AcceptsInsideTheAngleWhereThePlainDecoderRejects) {
  const int plain = accepted({});
  EXPECT_LT(plain, int(kRows));  // about 5% of probes at 37° pass the plain decoder at n = 128, α = 16
  EXPECT_EQ(accepted({"--list-angle", "38", "--list-max", "131072"}), int(kRows));
  EXPECT_EQ(accepted({"--list-angle", "38", "--list-max", "1"}), plain);  // one candidate: the nearest codeword
  EXPECT_EQ(accepted({"--list-angle", "36", "--list-max", "131072"}), plain);  // beyond the angle: plain decisions
}

TEST_F(CliListDecoding, BadValuesExitTwoAndWriteNothing) {
  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--list-angle", "81"}, {"--list-angle", "-1"}, {"--list-angle", "x"}, {"--list-max", "0"},
           {"--list-max", "2000000"}}) {
    std::vector<std::string> args = {"verify", "--templates", p("probes.npy"), "--records", p("recs"), "--alpha", "16",
                                     "--allow-weak", "--backend", "cpu"};
    args.insert(args.end(), bad.begin(), bad.end());
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << bad[0] << " " << bad[1];
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(r.err.empty());
  }
}

TEST_F(CliListDecoding, SecurityReportsTheListsCost) {
  const auto r = run_cli({"security", "--m", "128", "--n", "128", "--alpha", "26", "--trials", "1000", "--list-angle",
                          "32", "--list-max", "4096", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_NEAR(j["list_decoding"]["online_bits_per_attempt"].get<double>(), j["bits"].get<double>() - 12.0, 1e-9);
  EXPECT_GE(j["effective_bits"].get<double>(), 112.0);
  const auto wide = run_cli({"security", "--m", "128", "--n", "128", "--alpha", "26", "--trials", "1000",
                             "--list-angle", "40", "--json"});
  ASSERT_EQ(wide.exit_code, 0) << wide.err;
  EXPECT_LT(nlohmann::json::parse(wide.out)["effective_bits"].get<double>(), 112.0);  // the cap rules at 40°
}

}  // namespace
}  // namespace spheremask
