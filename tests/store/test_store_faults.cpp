// Storage faults as a user meets them, through the CLI: the disk fills during an enrollment, the store
// is read-only, the store file is truncated or has a page overwritten, a record file of --records is
// replaced by a symlink or a directory. Each must end in a one-line named error (exit 2), keep what was
// committed, and never let a damaged record produce a match.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/expect_error.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/store.hpp"
#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;
using testing::ScratchDir;

const std::string kSeed(64, 'b');  // INSECURE deterministic mode: reproducible test records

void write_inputs(const ScratchDir& dir, size_t rows, uint32_t dim) {
  const auto t = testing::random_unit_rows(rows, dim, 8);
  write_npy_f32(dir.file("templates.npy"), t.data(), rows, dim);
  testing::write_text(dir.file("templates.ids"), testing::numbered_ids(rows));
}

std::vector<std::string> enroll_args(const ScratchDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {"enroll", "--templates", dir.file("templates.npy"), "--ids", dir.file("templates.ids"),
                                "--store", dir.file("db.sqlite"), "--backend", "cpu", "--alpha", "16",
                                "--insecure-seed", kSeed};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::vector<std::string> identify_args(const ScratchDir& dir) {
  return {"identify", "--store", dir.file("db.sqlite"), "--probes", dir.file("templates.npy"), "--json",
          "--backend", "cpu"};
}

// Folds the WAL into the main file (the last connection's close checkpoints), so that damage to the
// file reaches every record.
void checkpoint(const std::string& path) { Store::open(path, StoreMode::ReadWrite); }

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(bytes.data()),
                                                                std::streamsize(bytes.size()));
}

TEST(StoreFaults, DiskFullDuringEnrollmentKeepsCommittedBatchesAndTheRerunResumes) {
  ScratchDir dir("fault-full");
  constexpr size_t kRows = 40, kBatch = 4;
  write_inputs(dir, kRows, 256);  // f16 records of ~128 KiB: a batch is ~0.5 MiB of WAL
  const auto args = enroll_args(dir, {"--batch", std::to_string(kBatch), "--dtype", "f16"});
  auto r = run_cli(args, {.file_size_limit = 2u << 20});  // no file may grow past 2 MiB: the WAL fills first
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot write the batch"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("earlier batches are intact"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rerun the same command to resume"), std::string::npos) << r.err;
  size_t committed = 0;
  {
    const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadWrite);
    committed = store.count();
    EXPECT_GT(committed, 0u);
    EXPECT_LT(committed, kRows);
    EXPECT_EQ(committed % kBatch, 0u) << "a partial batch was committed";
    EXPECT_TRUE(store.check().empty());
  }
  ASSERT_NO_FATAL_FAILURE(testing::expect_rerun_resumes(args, committed, kRows));
  const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  EXPECT_EQ(store.count(), kRows);
  EXPECT_TRUE(store.check().empty());
}

TEST(StoreFaults, ReadOnlyStoreRefusesWritesAndStillAnswers) {
  ScratchDir dir("fault-readonly");
  write_inputs(dir, 3, 128);
  ASSERT_EQ(run_cli(enroll_args(dir)).exit_code, 0);
  checkpoint(dir.file("db.sqlite"));
  Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  const Record r = store.get("subject-0");
  EXPECT_ERROR_CODE(store.put(std::vector<std::string>{"new"}, std::vector<Record>{r}), ErrorCode::Store,
                    "cannot write the batch", "readonly");
  EXPECT_EQ(store.count(), 3u);
  if (::geteuid() == 0) GTEST_SKIP() << "running as root: file permissions cannot make the store read-only";
  fs::permissions(dir.file("db.sqlite"), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const auto w = run_cli(enroll_args(dir, {"--replace"}));
  EXPECT_EQ(w.exit_code, 2);
  EXPECT_NE(w.err.find("db.sqlite"), std::string::npos) << w.err;
  const auto q = run_cli(identify_args(dir));
  EXPECT_EQ(q.exit_code, 0) << q.err;
}

TEST(StoreFaults, OverwrittenRecordBytesNameTheRecordAndNeverMatch) {
  ScratchDir dir("fault-record");
  write_inputs(dir, 4, 128);
  ASSERT_EQ(run_cli(enroll_args(dir)).exit_code, 0);
  const std::string path = dir.file("db.sqlite");
  checkpoint(path);
  // Find subject-2's P inside the file and overwrite a run of it, as a bad sector would.
  const auto needle = Store::open(path, StoreMode::ReadOnly).get("subject-2").serialize();
  auto file = read_bytes(path);
  const auto from = needle.begin() + long(kRecordHeaderSize) + 4096;
  const auto at = std::search(file.begin(), file.end(), from, from + 256);
  ASSERT_NE(at, file.end()) << "record bytes not found in the file";
  std::fill(at, at + 256, uint8_t(0xA5));
  write_bytes(path, file);
  // verify names the record; the intact records still verify.
  auto r = run_cli({"verify", "--store", path, "--id", "subject-2", "--templates", dir.file("templates.npy"),
                         "--row", "2", "--backend", "cpu"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("id 'subject-2'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("checksum"), std::string::npos) << r.err;
  r = run_cli({"verify", "--store", path, "--id", "subject-1", "--templates", dir.file("templates.npy"), "--row",
                    "1", "--backend", "cpu"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "accept\n");
  // identify refuses the gallery, naming the record, and prints no match at all.
  r = run_cli(identify_args(dir));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("id 'subject-2'"), std::string::npos) << r.err;
}

TEST(StoreFaults, DamagedPagesAndTruncationAreNamedAndNeverMatch) {
  ScratchDir dir("fault-page");
  write_inputs(dir, 6, 128);
  ASSERT_EQ(run_cli(enroll_args(dir)).exit_code, 0);
  const std::string path = dir.file("db.sqlite");
  checkpoint(path);
  const auto intact = read_bytes(path);
  constexpr size_t kPage = 65536;  // the store's page size
  ASSERT_GT(intact.size(), 4 * kPage);
  // Every b-tree page zeroed in turn would take long; zero each page after the schema page and require
  // that identify either refuses (exit 2, naming a page or a record) or answers exactly as before.
  auto expected = run_cli(identify_args(dir));
  ASSERT_EQ(expected.exit_code, 0) << expected.err;
  size_t refused = 0;
  for (size_t page = 1; page < intact.size() / kPage; ++page) {
    auto damaged = intact;
    std::fill(damaged.begin() + long(page * kPage), damaged.begin() + long((page + 1) * kPage), uint8_t(0));
    write_bytes(path, damaged);
    const auto r = run_cli(identify_args(dir));
    if (r.exit_code == 0) {
      EXPECT_EQ(r.out, expected.out) << "page " << page + 1 << " zeroed: a different answer";
      continue;
    }
    ++refused;
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.out, "") << "page " << page + 1;
    const bool named = r.err.find("damaged") != std::string::npos || r.err.find("id 'subject-") != std::string::npos;
    EXPECT_TRUE(named) << "page " << page + 1 << ": " << r.err;
  }
  EXPECT_GT(refused, 0u);
  // Truncated to half: refused with a named error, no output.
  write_bytes(path, std::vector<uint8_t>(intact.begin(), intact.begin() + long(intact.size() / 2)));
  const auto r = run_cli(identify_args(dir));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("db.sqlite"), std::string::npos) << r.err;
}

TEST(StoreFaults, SymlinkOrDirectoryInRecordsIsANamedError) {
  ScratchDir dir("fault-records");
  write_inputs(dir, 2, 128);
  ASSERT_EQ(run_cli({"enroll", "--templates", dir.file("templates.npy"), "--out", dir.file("recs"), "--backend",
                          "cpu", "--alpha", "16", "--insecure-seed", kSeed}).exit_code, 0);
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir.file("recs"))) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 2u);
  const std::vector<std::string> verify = {"verify", "--records", dir.file("recs"), "--templates",
                                           dir.file("templates.npy"), "--backend", "cpu"};
  ASSERT_EQ(run_cli(verify).exit_code, 0);
  // The second record replaced by a link to the first (a valid record of someone else).
  fs::remove(files[1]);
  fs::create_symlink(files[0], files[1]);
  auto r = run_cli(verify);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(files[1].filename().string() + ": is a symbolic link"), std::string::npos) << r.err;
  // ... then by a directory of the same name.
  fs::remove(files[1]);
  fs::create_directory(files[1]);
  r = run_cli(verify);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(files[1].filename().string() + ": is a directory"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spheremask
