// `spheremask verify --records DIR` with one row per probe verifies the record files from their bytes
// (Engine::verify_serialized), in batches. Each output is compared with the parse-then-verify path, which
// `--frames-per-probe 2` over the same probes with every row doubled still takes (the mean of two equal
// rows is the row): the same counts, the same error line naming the same file or record. A directory of
// several batches catches a skipped or misaligned batch; the peak memory of the child catches a silent
// fallback to loading the whole directory.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/record_reseal.hpp"
#include "support/run_cli.hpp"
#include "support/test_util.hpp"
#include "tools/npy.hpp"

namespace spheremask {
namespace {

namespace fs = std::filesystem;
using testing::run_cli;

constexpr uint32_t kDim = 128;
// 600 records of n = 128 f32 (64 KiB each) span three of the command's batches (16 MiB, at least four
// records per thread): 256 + 256 + 88.
constexpr size_t kRecords = 600;

bool impostor(size_t i) { return i % 3 == 2; }

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

// Every row twice in a row: the probes of the parse path (--frames-per-probe 2).
std::vector<float> doubled(const std::vector<float>& rows, size_t cols) {
  std::vector<float> out;
  for (size_t i = 0; i < rows.size() / cols; ++i)
    for (int k = 0; k < 2; ++k) out.insert(out.end(), rows.begin() + i * cols, rows.begin() + (i + 1) * cols);
  return out;
}

class VerifyBytesCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::cli_built()) return;
    dir_ = new testing::ScratchDir("cli-verify-bytes");
    const auto enrolled = testing::random_unit_rows(kRecords, kDim, 11);
    write_npy_f32(dir_->file("enrolled.npy"), enrolled.data(), kRecords, kDim);
    const auto r = run_cli({"enroll", "--templates", dir_->file("enrolled.npy"), "--out", dir_->file("pristine"),
                            "--backend", "cpu", "--alpha", "16"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Genuine probes (the enrolled rows), an impostor at every third index.
    auto probes = enrolled;
    const auto others = testing::random_unit_rows(kRecords, kDim, 12);
    for (size_t i = 0; i < kRecords; ++i)
      if (impostor(i)) std::copy_n(others.begin() + i * kDim, kDim, probes.begin() + i * kDim);
    write_npy_f32(dir_->file("probes.npy"), probes.data(), kRecords, kDim);
    const auto twice = doubled(probes, kDim);
    write_npy_f32(dir_->file("probes2.npy"), twice.data(), 2 * kRecords, kDim);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    SPHEREMASK_SKIP_WITHOUT_CLI();
    ASSERT_NE(dir_, nullptr);
    recs_ = dir_->file(std::string("recs-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(recs_);
    fs::copy(dir_->file("pristine"), recs_);
  }
  void TearDown() override { fs::remove_all(recs_); }

  std::string record(size_t i) const {
    char name[32];
    std::snprintf(name, sizeof name, "record-%07zu.smhd", i);
    return (fs::path(recs_) / name).string();
  }
  // The one-pass path and the parse path on the same records.
  testing::CliResult one_pass(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"verify", "--templates", dir_->file("probes.npy"), "--records", recs_, "--backend", "cpu"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a);
  }
  testing::CliResult parse_path(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a = {"verify", "--templates", dir_->file("probes2.npy"), "--records", recs_,
                                  "--backend", "cpu", "--frames-per-probe", "2"};
    a.insert(a.end(), extra.begin(), extra.end());
    return run_cli(a);
  }

  static testing::ScratchDir* dir_;
  std::string recs_;
};
testing::ScratchDir* VerifyBytesCli::dir_ = nullptr;

TEST_F(VerifyBytesCli, SameCountsAsTheParsePathOverSeveralBatches) {
  const size_t genuine = kRecords - kRecords / 3;  // indices 2, 5, 8, ... are impostors
  for (const std::string& threads : {"1", "2"}) {
    const auto fast = one_pass({"--json", "--threads", threads});
    ASSERT_EQ(fast.exit_code, 0) << fast.err;
    EXPECT_EQ(nlohmann::json::parse(fast.out),
              (nlohmann::json{{"total", kRecords}, {"accepted", genuine}, {"tampered", 0}}))
        << fast.out;
    const auto slow = parse_path({"--json", "--threads", threads});
    ASSERT_EQ(slow.exit_code, 0) << slow.err;
    EXPECT_EQ(fast.out, slow.out);
    EXPECT_EQ(fast.err, slow.err);  // the weak-code warning line, if any, in both
  }
  const auto text = one_pass();
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, "400 of 600 probes accepted (66.7%)\n");
  EXPECT_EQ(text.out, parse_path().out);
}

// An attacker edits P in a record of the last batch and recomputes the (unkeyed) checksum: the MAC fails.
TEST_F(VerifyBytesCli, ResealedEditOfPIsTamperedLikeTheParsePath) {
  const size_t victim = 597;  // genuine, in the third batch
  ASSERT_FALSE(impostor(victim));
  auto b = read_bytes(record(victim));
  b[kRecordHeaderSizeV2 + 4 * 1000] ^= 0x01;  // the lowest mantissa bit of P's 1000th entry: decoding is unchanged
  testing::reseal_v2(b);
  write_bytes(record(victim), b);
  const auto fast = one_pass();
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_EQ(fast.out, "399 of 600 probes accepted (66.5%), 1 TAMPERED records\n");
  const auto slow = parse_path();
  EXPECT_EQ(fast.out, slow.out);
  EXPECT_EQ(fast.err, slow.err);
  const auto json = one_pass({"--json"});
  EXPECT_EQ(nlohmann::json::parse(json.out), (nlohmann::json{{"total", 600}, {"accepted", 399}, {"tampered", 1}}));
}

// A flipped byte in P without a new checksum: the record is corrupted; one error line naming the file.
TEST_F(VerifyBytesCli, FlippedByteInPIsAnErrorNamingTheFile) {
  auto b = read_bytes(record(300));
  b[kRecordHeaderSizeV2 + 12345] ^= 0x40;
  write_bytes(record(300), b);
  const auto fast = one_pass();
  EXPECT_EQ(fast.exit_code, 2) << fast.err;
  EXPECT_TRUE(fast.out.empty()) << fast.out;
  EXPECT_EQ(fast.err, "spheremask: error (invalid record): " + record(300) +
                          ": record field 'checksum': digest-tree root mismatch: the record is corrupted\n")
      << fast.err;
  const auto slow = parse_path();
  EXPECT_EQ(slow.exit_code, 2);
  EXPECT_EQ(fast.err, slow.err);
}

TEST_F(VerifyBytesCli, TruncatedFileIsOneErrorLineNamingIt) {
  for (const size_t cut : {size_t(10), size_t(kRecordHeaderSizeV2 + 5000)}) {
    auto b = read_bytes(dir_->file("pristine") + "/" + fs::path(record(450)).filename().string());
    b.resize(cut);
    write_bytes(record(450), b);
    const auto fast = one_pass();
    EXPECT_EQ(fast.exit_code, 2) << fast.err;
    EXPECT_TRUE(fast.out.empty()) << fast.out;
    EXPECT_EQ(std::count(fast.err.begin(), fast.err.end(), '\n'), 1) << fast.err;
    EXPECT_NE(fast.err.find(record(450) + ": "), std::string::npos) << fast.err;
    const auto slow = parse_path();
    EXPECT_EQ(fast.err, slow.err);
  }
}

// A file that does not parse is named before a wrong count and before a record of other parameters, as
// the parse path (which reads every file first) names it; a record of other parameters in a later batch
// is named by its index in the directory.
TEST_F(VerifyBytesCli, ErrorsNameTheSameFileOrRecordAsTheParsePath) {
  const NpyMatrix enrolled = NpyMatrix::open(dir_->file("enrolled.npy"));
  write_npy_f32(recs_ + "-row520.npy", enrolled.row(520), 1, kDim);
  const auto other = run_cli({"enroll", "--templates", recs_ + "-row520.npy", "--out", recs_ + "-a17", "--backend",
                              "cpu", "--alpha", "17"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  fs::copy_file(recs_ + "-a17/record-0000000.smhd", record(520), fs::copy_options::overwrite_existing);
  fs::remove(recs_ + "-row520.npy");
  fs::remove_all(recs_ + "-a17");
  auto fast = one_pass();
  EXPECT_EQ(fast.exit_code, 2);
  EXPECT_TRUE(fast.out.empty()) << fast.out;
  EXPECT_NE(fast.err.find("record 520: made with m=128 n=128 alpha=17"), std::string::npos) << fast.err;
  EXPECT_EQ(fast.err, parse_path().err);
  // A later file that does not parse comes first.
  write_bytes(record(590), {'S', 'M'});
  fast = one_pass();
  EXPECT_EQ(fast.exit_code, 2);
  EXPECT_NE(fast.err.find(record(590) + ": "), std::string::npos) << fast.err;
  EXPECT_EQ(fast.err, parse_path().err);
  // And before a wrong count.
  fs::copy_file(record(0), (fs::path(recs_) / "record-9999999.smhd").string());
  fast = one_pass();
  EXPECT_EQ(fast.exit_code, 2);
  EXPECT_NE(fast.err.find(record(590) + ": "), std::string::npos) << fast.err;
  EXPECT_EQ(fast.err, parse_path().err);
}

// A bad probe row in a later batch is named by its row in the file, as one engine call over all rows names it.
TEST_F(VerifyBytesCli, BadProbeRowIsNamedByItsFileRow) {
  const NpyMatrix good = NpyMatrix::open(dir_->file("probes.npy"));
  std::vector<float> probes(good.data(), good.data() + kRecords * kDim);
  probes[400 * kDim + 5] = std::numeric_limits<float>::quiet_NaN();
  const std::string nan = recs_ + "-nan.npy";
  write_npy_f32(nan, probes.data(), kRecords, kDim);
  const auto r = run_cli({"verify", "--templates", nan, "--records", recs_, "--backend", "cpu"});
  fs::remove(nan);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  const std::string line = "spheremask: error (invalid argument): template row 400 has a non-finite value at column 5\n";
  ASSERT_GE(r.err.size(), line.size()) << r.err;
  EXPECT_EQ(r.err.substr(r.err.size() - line.size()), line) << r.err;
}

// SMHD v1 records (tests/fixtures/v1, made by the v1 code) verify from their bytes: genuine rows accept,
// impostor rows reject (expected.json).
TEST(VerifyBytesCliV1, FixtureRecordsStillVerify) {
  SPHEREMASK_SKIP_WITHOUT_CLI();
  const testing::ScratchDir dir("cli-verify-bytes-v1");
  const fs::path fixtures = fs::path(SPHEREMASK_SOURCE_DIR) / "tests" / "fixtures" / "v1";
  fs::create_directories(dir.file("recs"));
  fs::copy_file(fixtures / "f32-n128.smhd", dir.file("recs/record-0000000.smhd"));
  fs::copy_file(fixtures / "f16-n128.smhd", dir.file("recs/record-0000001.smhd"));
  const NpyMatrix f32 = NpyMatrix::open((fixtures / "f32-n128.probes.npy").string());
  const NpyMatrix f16 = NpyMatrix::open((fixtures / "f16-n128.probes.npy").string());
  ASSERT_EQ(f32.cols(), kDim);
  for (const size_t row : {size_t(0), size_t(1)}) {  // row 0 genuine, row 1 an impostor
    std::vector<float> probes(f32.row(row), f32.row(row) + kDim);
    probes.insert(probes.end(), f16.row(row), f16.row(row) + kDim);
    write_npy_f32(dir.file("probes.npy"), probes.data(), 2, kDim);
    const auto r = run_cli({"verify", "--templates", dir.file("probes.npy"), "--records", dir.file("recs"),
                            "--backend", "cpu", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out),
              (nlohmann::json{{"total", 2}, {"accepted", row == 0 ? 2 : 0}, {"tampered", 0}}))
        << r.out;
  }
}

// Under AddressSanitizer freed memory sits in quarantine (up to 256 MiB), so a bounded batch loop peaks as high as
// loading everything: peak sizes say nothing there.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
#else
constexpr bool kAddressSanitizer = false;
#endif

// Peak resident memory of one CLI run (its children's too), in MiB.
double peak_mib(const std::vector<std::string>& args, int& exit_code, const std::string& scratch) {
  const pid_t pid = testing::spawn_cli(args, scratch + "/out", scratch + "/err");
  int status = 0;
  rusage usage{};
  ::wait4(pid, &status, 0, &usage);
  exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return double(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

// 96 records of 1 MiB (n = 512 f32): the one-pass path holds a batch of them (16 MiB), the parse path all.
// A command that fell back to loading the directory would peak as high as the parse path.
TEST(VerifyBytesCliMemory, HoldsOneBatchNotTheDirectory) {
  SPHEREMASK_SKIP_WITHOUT_CLI();
  if (kAddressSanitizer) GTEST_SKIP() << "AddressSanitizer's quarantine keeps freed batches resident";
  long rss_pages = 0;
  {
    std::ifstream statm("/proc/self/statm");
    long size = 0;
    statm >> size >> rss_pages;
  }
  const double own_mib = double(rss_pages) * double(::sysconf(_SC_PAGESIZE)) / (1 << 20);
  // A child forked from a large test process starts its peak at this process's resident size.
  if (own_mib > 40) GTEST_SKIP() << "test process holds " << own_mib << " MiB; its children's peaks would not show";
  const testing::ScratchDir dir("cli-verify-bytes-mem");
  constexpr size_t kN = 512, kCopies = 96;
  const auto t = testing::random_unit_rows(1, kN, 21);
  write_npy_f32(dir.file("one.npy"), t.data(), 1, kN);
  auto r = run_cli({"enroll", "--templates", dir.file("one.npy"), "--out", dir.file("one"), "--backend", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::create_directories(dir.file("recs"));
  std::vector<float> probes, probes2;
  for (size_t i = 0; i < kCopies; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "record-%07zu.smhd", i);
    fs::copy_file(dir.file("one/record-0000000.smhd"), dir.file("recs/") + name);
    probes.insert(probes.end(), t.begin(), t.end());
    for (int k = 0; k < 2; ++k) probes2.insert(probes2.end(), t.begin(), t.end());
  }
  write_npy_f32(dir.file("probes.npy"), probes.data(), kCopies, kN);
  write_npy_f32(dir.file("probes2.npy"), probes2.data(), 2 * kCopies, kN);
  int code = -1;
  const double fast = peak_mib({"verify", "--templates", dir.file("probes.npy"), "--records", dir.file("recs"),
                                "--backend", "cpu", "--threads", "2"},
                               code, dir.file(""));
  ASSERT_EQ(code, 0);
  EXPECT_EQ(testing::read_text(dir.file("out")), "96 of 96 probes accepted (100.0%)\n");
  const double slow = peak_mib({"verify", "--templates", dir.file("probes2.npy"), "--records", dir.file("recs"),
                                "--backend", "cpu", "--threads", "2", "--frames-per-probe", "2"},
                               code, dir.file(""));
  ASSERT_EQ(code, 0);
  EXPECT_EQ(testing::read_text(dir.file("out")), "96 of 96 probes accepted (100.0%)\n");
  EXPECT_GT(slow, 96.0) << "the parse path holds every record";
  EXPECT_LT(fast, slow - 48.0) << "one pass peaked at " << fast << " MiB, the parse path at " << slow << " MiB";
}

}  // namespace
}  // namespace spheremask
