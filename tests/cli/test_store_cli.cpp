// `spheremask enroll --store`, `verify --store` and `identify` run as child processes: input checks
// before any work, resume, --replace, and crash safety under kill -9.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

using testing::run_cli;
using testing::ScratchDir;

const std::string kSeed(64, 'a');  // INSECURE deterministic mode: reproducible test records

// templates.npy with `rows` unit rows of dimension dim, and ids.txt naming them.
void write_inputs(const ScratchDir& dir, size_t rows, uint32_t dim, const std::string& name = "templates") {
  const auto t = testing::random_unit_rows(rows, dim, 5);
  write_npy_f32(dir.file(name + ".npy"), t.data(), rows, dim);
  testing::write_text(dir.file(name + ".ids"), testing::numbered_ids(rows));
}

std::vector<std::string> enroll_args(const ScratchDir& dir, const std::string& name, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"enroll", "--templates", dir.file(name + ".npy"), "--ids", dir.file(name + ".ids"),
                                "--store", dir.file("db.sqlite"), "--backend", "cpu", "--alpha", "16"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

TEST(StoreCli, DuplicateIdIsAnErrorNamingTheLineBeforeAnyWork) {
  ScratchDir dir("cli-dup");
  write_inputs(dir, 5, 128);
  testing::write_text(dir.file("templates.ids"), "ann\nben\ncid\nben\ndot\n");
  const auto r = run_cli(enroll_args(dir, "templates"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("templates.ids:4: duplicate id 'ben' (first on line 2)"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("db.sqlite")));
}

TEST(StoreCli, RowCountMismatchIsAnErrorBeforeAnyWork) {
  ScratchDir dir("cli-count");
  write_inputs(dir, 5, 128);
  testing::write_text(dir.file("templates.ids"), testing::numbered_ids(4));
  const auto r = run_cli(enroll_args(dir, "templates"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("5 rows but"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("4 ids"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("db.sqlite")));
}

TEST(StoreCli, BlankIdsAreRejectedWithTheirLine) {
  ScratchDir dir("cli-blank");
  write_inputs(dir, 3, 128);
  for (const std::string& ids : {std::string("a\n \nc\n"), std::string("a\n\nc\n"), std::string("a\nb \nc\n")}) {
    testing::write_text(dir.file("templates.ids"), ids);
    const auto r = run_cli(enroll_args(dir, "templates"));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("templates.ids:2:"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("db.sqlite")));
}

TEST(StoreCli, ResumeSkipsEnrolledIdsAndLeavesThemUntouched) {
  ScratchDir dir("cli-resume");
  write_inputs(dir, 12, 128, "all");
  {  // the first half of the same inputs
    const NpyMatrix all = NpyMatrix::open(dir.file("all.npy"));
    write_npy_f32(dir.file("half.npy"), all.data(), 6, 128);
    testing::write_text(dir.file("half.ids"), testing::numbered_ids(6));
  }
  auto r = run_cli(enroll_args(dir, "half", {"--insecure-seed", kSeed, "--batch", "4"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::vector<uint8_t>> before;
  {
    const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
    ASSERT_EQ(store.count(), 6u);
    for (size_t i = 0; i < 6; ++i) before.push_back(store.get("subject-" + std::to_string(i)).serialize());
  }
  // Without a seed: skipped records keep their deterministic bytes, new ones are random.
  r = run_cli(enroll_args(dir, "all", {"--batch", "4"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("6 of 12 ids already in"), std::string::npos) << r.err;
  {
    const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
    EXPECT_EQ(store.count(), 12u);
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(store.get("subject-" + std::to_string(i)).serialize(), before[i]) << i;
    EXPECT_FALSE(store.get("subject-7").deterministic());
    EXPECT_TRUE(store.check().empty());
  }
  r = run_cli(enroll_args(dir, "all", {"--replace"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  EXPECT_EQ(store.count(), 12u);
  EXPECT_NE(store.get("subject-0").serialize(), before[0]);  // re-enrolled with fresh secrets
  EXPECT_FALSE(store.get("subject-0").deterministic());
}

TEST(StoreCli, VerifyAndIdentifyAgainstTheStore) {
  ScratchDir dir("cli-query");
  write_inputs(dir, 4, 128);
  ASSERT_EQ(run_cli(enroll_args(dir, "templates")).exit_code, 0);
  auto r = run_cli({"verify", "--store", dir.file("db.sqlite"), "--id", "subject-2", "--templates",
                         dir.file("templates.npy"), "--row", "2", "--json", "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["decision"], "accept");
  r = run_cli({"verify", "--store", dir.file("db.sqlite"), "--id", "subject-2", "--templates",
                    dir.file("templates.npy"), "--row", "1", "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "reject\n");
  r = run_cli({"verify", "--store", dir.file("db.sqlite"), "--id", "nobody", "--templates",
                    dir.file("templates.npy"), "--backend", "cpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'nobody'"), std::string::npos) << r.err;
  r = run_cli({"identify", "--store", dir.file("db.sqlite"), "--probes", dir.file("templates.npy"), "--json",
                    "--backend", "cpu", "--chunk-mib", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["probes"], 4);
  ASSERT_EQ(j["matches"].size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(j["matches"][i]["probe"], i);
    EXPECT_EQ(j["matches"][i]["ids"], nlohmann::json::array({"subject-" + std::to_string(i)}));
  }
}

TEST(StoreCli, KillNineKeepsEveryCommittedBatchAndARerunCompletes) {
  ScratchDir dir("cli-kill9");
  constexpr size_t kRows = 300, kBatch = 10;
  write_inputs(dir, kRows, 256);
  const auto args = enroll_args(dir, "templates", {"--batch", std::to_string(kBatch), "--dtype", "f16"});
  size_t seen = 0;
  ASSERT_NO_FATAL_FAILURE(testing::kill_after_first_commit(dir, args, dir.file("db.sqlite"), &seen));
  size_t committed = 0;
  {
    const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadWrite);  // recovers the WAL
    committed = store.count();
    EXPECT_GE(committed, seen);
    EXPECT_LT(committed, kRows);
    EXPECT_EQ(committed % kBatch, 0u) << "a partial batch was committed";
    EXPECT_TRUE(store.check().empty());  // every committed record parses, checksum included
  }
  ASSERT_NO_FATAL_FAILURE(testing::expect_rerun_resumes(args, committed, kRows));
  const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  EXPECT_EQ(store.count(), kRows);
  EXPECT_TRUE(store.check().empty());
}

}  // namespace
}  // namespace spheremask
