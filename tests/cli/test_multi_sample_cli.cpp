// `spheremask enroll --ids --combine mean` (store and record directory), --outlier-deg, and
// --frames-per-probe on verify and identify, run as child processes.

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

using testing::run_cli;
using testing::ScratchDir;

const std::string kSeed(64, 'b');  // INSECURE deterministic mode: reproducible test records

std::array<uint8_t, 32> seed_bytes() {
  std::array<uint8_t, 32> s;
  s.fill(0xbb);
  return s;
}

// `people` persons with `k` samples each at 25° from their center, rows interleaved (row r is person
// r % people), ids "p<r % people>"; probes.npy: `frames` frames per person at 45° from the center.
// At n = 512, α = 16 the mean of 3 samples lies ~15° and the mean of 2 frames ~35° from the center, so
// the two are ~38° apart: accepted with probability > 0.99 (DESIGN §1: ~100% at 40°).
struct Inputs {
  std::vector<float> centers, rows, probes;
};
Inputs write_people(const ScratchDir& dir, size_t people, size_t k, uint32_t dim, size_t frames = 2) {
  Inputs in;
  in.centers = testing::random_unit_rows(people, dim, 31);
  std::mt19937 rng(32);
  in.rows.resize(people * k * dim);
  std::string ids;
  for (size_t r = 0; r < people * k; ++r) {
    const auto s = testing::at_angle(in.centers.data() + (r % people) * dim, dim, 25.0, rng);
    std::copy(s.begin(), s.end(), in.rows.begin() + r * dim);
    ids += "p" + std::to_string(r % people) + "\n";
  }
  write_npy_f32(dir.file("samples.npy"), in.rows.data(), people * k, dim);
  testing::write_text(dir.file("samples.ids"), ids);
  for (size_t p = 0; p < people; ++p)
    for (size_t f = 0; f < frames; ++f) {
      const auto s = testing::at_angle(in.centers.data() + p * dim, dim, 45.0, rng);
      in.probes.insert(in.probes.end(), s.begin(), s.end());
    }
  write_npy_f32(dir.file("probes.npy"), in.probes.data(), people * frames, dim);
  return in;
}

std::vector<std::string> store_enroll(const ScratchDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"enroll", "--templates", dir.file("samples.npy"), "--ids", dir.file("samples.ids"),
                                "--store", dir.file("db.sqlite"), "--backend", "cpu", "--dtype", "f32"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// One line on stderr, exit code 2.
void expect_one_line_error(const testing::CliResult& r, const std::string& names) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(names), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

TEST(MultiSampleCli, CombineMeanEnrollsOneRecordPerIdFromItsRowsInTheStore) {
  ScratchDir dir("ms-store");
  const size_t people = 4, k = 3;
  const Inputs in = write_people(dir, people, k, 512);
  const auto r = run_cli(store_enroll(dir, {"--combine", "mean", "--insecure-seed", kSeed, "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["enrolled"], people);
  EXPECT_EQ(j["samples"], people * k);
  EXPECT_TRUE(j["dropped"].empty());
  const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  ASSERT_EQ(store.count(), people);
  // Record of id p<g> = the library's record of p<g>'s rows, deterministic index g (order of first appearance).
  Params p;
  p.m = p.n = 512;
  auto engine = make_engine(p, Backend::Cpu);
  for (size_t g = 0; g < people; ++g) {
    std::vector<float> rows;
    for (size_t i = 0; i < k; ++i)
      rows.insert(rows.end(), in.rows.begin() + (i * people + g) * 512, in.rows.begin() + (i * people + g + 1) * 512);
    EnrollOptions eo;
    eo.insecure_seed = seed_bytes();
    eo.first_index = g;
    const std::vector<uint32_t> sizes = {uint32_t(k)};
    const auto want = engine->enroll_groups(rows.data(), sizes, eo);
    EXPECT_EQ(store.get("p" + std::to_string(g)).p, want.records[0].p) << "p" << g;
  }
  // Two frames per probe: their mean against the mean record.
  auto v = run_cli({"identify", "--store", dir.file("db.sqlite"), "--probes", dir.file("probes.npy"),
                         "--frames-per-probe", "2", "--json", "--backend", "cpu"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  const auto hits = nlohmann::json::parse(v.out);
  EXPECT_EQ(hits["probes"], people);
  for (size_t g = 0; g < people; ++g)
    EXPECT_EQ(hits["matches"][g]["ids"], nlohmann::json::array({"p" + std::to_string(g)})) << v.out;
  v = run_cli({"verify", "--store", dir.file("db.sqlite"), "--id", "p3", "--templates", dir.file("probes.npy"),
                    "--frames-per-probe", "2", "--row", "3", "--backend", "cpu"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out, "accept\n");
  v = run_cli({"verify", "--store", dir.file("db.sqlite"), "--id", "p3", "--templates", dir.file("probes.npy"),
                    "--frames-per-probe", "2", "--row", "2", "--backend", "cpu"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out, "reject\n");
}

TEST(MultiSampleCli, RepeatedIdsWithoutCombineStayAnErrorNamingBothLines) {
  ScratchDir dir("ms-repeat");
  write_people(dir, 2, 2, 128);
  const auto r = run_cli(store_enroll(dir));
  expect_one_line_error(r, "samples.ids:3: duplicate id 'p0' (first on line 1); --combine mean");
  EXPECT_FALSE(std::filesystem::exists(dir.file("db.sqlite")));
}

TEST(MultiSampleCli, OutlierRejectionReportsIdsAndRowsOnly) {
  ScratchDir dir("ms-outlier");
  Inputs in = write_people(dir, 2, 4, 128);
  const auto stranger = testing::random_unit_rows(1, 128, 33);
  std::copy(stranger.begin(), stranger.end(), in.rows.begin() + 5 * 128);  // row 5 is a sample of p1
  write_npy_f32(dir.file("samples.npy"), in.rows.data(), 8, 128);
  const auto r = run_cli(store_enroll(dir, {"--combine", "mean", "--outlier-deg", "60", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("outlier rejection dropped 1 samples of 1 ids: 'p1' row 5"), std::string::npos) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["samples"], 7);
  EXPECT_EQ(j["dropped"], nlohmann::json::parse(R"([{"id": "p1", "rows": [5]}])"));
}

TEST(MultiSampleCli, BadInputIsOneLineExitTwoAndNothingWritten) {
  ScratchDir dir("ms-bad");
  Inputs in = write_people(dir, 3, 2, 128);
  in.rows[4 * 128 + 9] = std::numeric_limits<float>::quiet_NaN();  // row 4: a sample of p1
  write_npy_f32(dir.file("nan.npy"), in.rows.data(), 6, 128);
  auto args = store_enroll(dir, {"--combine", "mean"});
  args[2] = dir.file("nan.npy");
  expect_one_line_error(run_cli(args), "template row 4 has a non-finite value");
  EXPECT_FALSE(std::filesystem::exists(dir.file("db.sqlite")));
  std::vector<std::string> to_dir = {"enroll", "--templates", dir.file("nan.npy"), "--ids", dir.file("samples.ids"),
                                     "--out", dir.file("recs"), "--combine", "mean", "--backend", "cpu"};
  expect_one_line_error(run_cli(to_dir), "template row 4");
  EXPECT_FALSE(std::filesystem::exists(dir.file("recs")));
  // Three samples that agree on nobody: the id is named.
  const auto three = testing::random_unit_rows(3, 128, 34);
  write_npy_f32(dir.file("strangers.npy"), three.data(), 3, 128);
  testing::write_text(dir.file("strangers.ids"), "zed\nzed\nzed\n");
  expect_one_line_error(run_cli({"enroll", "--templates", dir.file("strangers.npy"), "--ids",
                                      dir.file("strangers.ids"), "--out", dir.file("recs"), "--combine", "mean",
                                      "--outlier-deg", "40", "--backend", "cpu"}),
                        "id 'zed': every sample is further than");
  EXPECT_FALSE(std::filesystem::exists(dir.file("recs")));
  expect_one_line_error(run_cli({"enroll", "--templates", dir.file("samples.npy"), "--out", dir.file("recs"),
                                      "--combine", "mean", "--backend", "cpu"}),
                        "--combine needs --ids");
  for (const char* angle : {"0", "200", "-3"})
    expect_one_line_error(run_cli({"enroll", "--templates", dir.file("samples.npy"), "--ids",
                                        dir.file("samples.ids"), "--out", dir.file("recs"), "--combine", "mean",
                                        "--outlier-deg", angle, "--backend", "cpu"}),
                          "outlier angle must be in (0, 180] degrees");
  expect_one_line_error(run_cli({"enroll", "--templates", dir.file("samples.npy"), "--ids",
                                      dir.file("samples.ids"), "--out", dir.file("recs"), "--backend", "cpu"}),
                        "--ids with --out needs --combine mean");
  EXPECT_FALSE(std::filesystem::exists(dir.file("recs")));
}

TEST(MultiSampleCli, RecordDirectoryCombineAndFramesPerProbe) {
  ScratchDir dir("ms-dir");
  const size_t people = 3;
  write_people(dir, people, 3, 512, 2);
  auto r = run_cli({"enroll", "--templates", dir.file("samples.npy"), "--ids", dir.file("samples.ids"), "--out",
                         dir.file("recs"), "--combine", "mean", "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_text(dir.file("recs/ids.txt")), "p0\np1\np2\n");
  EXPECT_TRUE(std::filesystem::exists(dir.file("recs/record-0000002.smhd")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("recs/record-0000003.smhd")));
  r = run_cli({"verify", "--records", dir.file("recs"), "--templates", dir.file("probes.npy"),
                    "--frames-per-probe", "2", "--json", "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total"], people);
  EXPECT_EQ(j["accepted"], people);
  // 6 probe rows are not a multiple of 4; without frames, 6 probes do not match 3 records.
  expect_one_line_error(run_cli({"verify", "--records", dir.file("recs"), "--templates", dir.file("probes.npy"),
                                      "--frames-per-probe", "4", "--backend", "cpu"}),
                        "has 6 rows, not a multiple of --frames-per-probe 4");
  expect_one_line_error(run_cli({"verify", "--records", dir.file("recs"), "--templates", dir.file("probes.npy"),
                                      "--backend", "cpu"}),
                        "6 probes but 3 records");
  expect_one_line_error(run_cli({"verify", "--records", dir.file("recs"), "--templates", dir.file("probes.npy"),
                                      "--frames-per-probe", "0", "--backend", "cpu"}),
                        "--frames-per-probe must be at least 1");
  // Any-of-2: probes whose frames are at 45° from the center pass one frame at a time too.
  r = run_cli({"verify", "--records", dir.file("recs"), "--templates", dir.file("probes.npy"),
                    "--frames-per-probe", "2", "--any-of-frames", "--json", "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["total"], people);
  r = run_cli({"enroll", "--templates", dir.file("samples.npy"), "--ids", dir.file("samples.ids"), "--store",
                    dir.file("db.sqlite"), "--combine", "mean", "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_one_line_error(run_cli({"identify", "--store", dir.file("db.sqlite"), "--probes", dir.file("probes.npy"),
                                      "--frames-per-probe", "4", "--backend", "cpu"}),
                        "not a multiple of --frames-per-probe 4");
}

// Killed mid-way and rerun, a combined enrollment of interleaved repeated ids ends with exactly the
// records of an uninterrupted run (deterministic mode: an id's index is its first appearance).
TEST(MultiSampleCli, KillNineAndResumeWithRepeatedIdsGivesTheUninterruptedRecords) {
  ScratchDir dir("ms-kill9");
  constexpr size_t kPeople = 240, kBatch = 8;
  write_people(dir, kPeople, 2, 256, 1);
  const auto args = store_enroll(dir, {"--combine", "mean", "--insecure-seed", kSeed, "--batch", std::to_string(kBatch)});
  size_t seen = 0;
  ASSERT_NO_FATAL_FAILURE(testing::kill_after_first_commit(dir, args, dir.file("db.sqlite"), &seen));
  size_t committed = 0;
  {
    const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadWrite);
    committed = store.count();
    EXPECT_LT(committed, kPeople);
    EXPECT_EQ(committed % kBatch, 0u) << "a partial batch was committed";
  }
  ASSERT_NO_FATAL_FAILURE(testing::expect_rerun_resumes(args, committed, kPeople));
  auto fresh = args;
  fresh[6] = dir.file("fresh.sqlite");
  const auto r = run_cli(fresh);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Store resumed = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  const Store uninterrupted = Store::open(dir.file("fresh.sqlite"), StoreMode::ReadOnly);
  ASSERT_EQ(resumed.count(), kPeople);
  for (size_t g = 0; g < kPeople; ++g) {
    const std::string id = "p" + std::to_string(g);
    ASSERT_EQ(resumed.get(id).serialize(), uninterrupted.get(id).serialize()) << id;
  }
}

}  // namespace
}  // namespace spheremask
