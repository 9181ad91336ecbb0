// Safe by default: enrolling through a template expander without an application key is refused
// (library, C API, CLI) unless allow_weak; records bound to one key are a named Mismatch under another
// key or none; the CLI reads key files strictly.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/spheremask.h"
#include "support/run_cli.hpp"
#include "tools/npy.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::run_cli;
using testing::ScratchDir;
using Key = std::array<uint8_t, 32>;

constexpr uint32_t kM = 64, kN = 128, kAlpha = 16;  // C(128, 16): 82 bits (> 80), so only the missing key is weak

// One expander object for every engine of a test: init_expander's bits can depend on the OpenBLAS thread
// count in effect (a CPU engine sets it to one), and the id would then differ between two inits.
std::shared_ptr<const Expander> test_expander() {
  static const auto e = make_expander(init_expander(kM, kN, Key{7}));
  return e;
}

Params expander_params(std::optional<Key> key = std::nullopt, bool allow_weak = false) {
  Params p;
  p.m = kM;
  p.n = kN;
  p.alpha = kAlpha;
  p.expander = test_expander();
  p.app_key = key;
  p.allow_weak = allow_weak;
  return p;
}

void expect_refusal_message(const std::string& what) {
  EXPECT_NE(what.find("spheremask attack invert"), std::string::npos) << what;
  EXPECT_NE(what.find("application key"), std::string::npos) << what;
  EXPECT_NE(what.find("--app-key-file"), std::string::npos) << what;
  EXPECT_NE(what.find("allow-weak"), std::string::npos) << what;
}

TEST(AppBinding, ExpanderEnrollmentWithoutKeyIsRefused) {
  auto engine = make_engine(expander_params(), Backend::Cpu);  // building the engine is fine: it may verify old records
  const auto t = testing::random_unit_rows(2, kM, 1);
  try {
    engine->enroll(t.data(), 2);
    FAIL() << "enrollment through an expander without a key must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::WeakParameters);
    expect_refusal_message(e.what());
  }
}

TEST(AppBinding, AllowWeakEnrollsAndOldRecordsStillVerifyWithoutIt) {
  const auto t = testing::random_unit_rows(3, kM, 2);
  const auto records = make_engine(expander_params(std::nullopt, true), Backend::Cpu)->enroll(t.data(), 3);
  ASSERT_EQ(records.size(), 3u);
  // A default engine (no allow_weak, no key) refuses to enroll but verifies the records already made.
  auto strict = make_engine(expander_params(), Backend::Cpu);
  for (auto d : strict->verify(t.data(), 3, records)) EXPECT_EQ(d, Decision::Accept);
}

TEST(AppBinding, KeyedExpanderEnrollsAndOtherKeyOrNoneIsAMismatch) {
  const auto t = testing::random_unit_rows(2, kM, 3);
  auto keyed = make_engine(expander_params(Key{1, 2, 3}), Backend::Cpu);
  const auto records = keyed->enroll(t.data(), 2);
  for (auto d : keyed->verify(t.data(), 2, records)) EXPECT_EQ(d, Decision::Accept);
  for (auto params : {expander_params(Key{9}), expander_params()}) {
    try {
      make_engine(params, Backend::Cpu)->verify(t.data(), 2, records);
      FAIL() << "a record under another key must not be used";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Mismatch);
      EXPECT_NE(std::string(e.what()).find("application key"), std::string::npos) << e.what();
    }
  }
}

TEST(AppBinding, PlainIronMaskNeedsNoKey) {
  Params p;
  p.m = p.n = kN;
  p.alpha = kAlpha;
  const auto t = testing::random_unit_rows(1, kN, 4);
  EXPECT_EQ(make_engine(p, Backend::Cpu)->enroll(t.data(), 1).size(), 1u);
}

// ---- C API ----

TEST(AppBinding, CApiRefusesWithoutKeyAndReportsMismatch) {
  ScratchDir dir("appkey-c");
  const std::string te = dir.file("te.smte");
  save_expander(te, init_expander(kM, kN, Key{7}));
  const auto t = testing::random_unit_rows(1, kM, 5);
  sm_params* params = nullptr;
  sm_engine* engine = nullptr;
  sm_records* records = nullptr;
  ASSERT_EQ(sm_params_create(kM, 0, kAlpha, SM_DTYPE_F32, 0, te.c_str(), &params), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_engine_create(params, SM_BACKEND_CPU, 1, 0, &engine), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_records_create(&records), SM_OK);
  EXPECT_EQ(sm_enroll(engine, t.data(), 1, records), SM_ERR_WEAK_PARAMETERS);
  expect_refusal_message(sm_last_error());
  EXPECT_EQ(sm_records_count(records), 0u);
  sm_engine_free(engine);

  const uint8_t key_a[32] = {1}, key_b[32] = {2};
  ASSERT_EQ(sm_params_set_app_key(params, key_a), SM_OK);
  ASSERT_EQ(sm_engine_create(params, SM_BACKEND_CPU, 1, 0, &engine), SM_OK) << sm_last_error();
  ASSERT_EQ(sm_enroll(engine, t.data(), 1, records), SM_OK) << sm_last_error();
  uint8_t decision = 9;
  ASSERT_EQ(sm_verify(engine, t.data(), 1, records, &decision), SM_OK) << sm_last_error();
  EXPECT_EQ(decision, SM_ACCEPT);
  sm_engine_free(engine);

  ASSERT_EQ(sm_params_set_app_key(params, key_b), SM_OK);
  ASSERT_EQ(sm_engine_create(params, SM_BACKEND_CPU, 1, 0, &engine), SM_OK) << sm_last_error();
  EXPECT_EQ(sm_verify(engine, t.data(), 1, records, &decision), SM_ERR_MISMATCH);
  EXPECT_NE(std::string(sm_last_error()).find("application key"), std::string::npos) << sm_last_error();
  sm_engine_free(engine);
  sm_records_free(records);
  sm_params_free(params);
}

// ---- CLI ----

struct CliFixture {
  ScratchDir dir{"appkey-cli"};
  CliFixture() {
    const auto t = testing::random_unit_rows(3, kM, 6);
    write_npy_f32(dir.file("t.npy"), t.data(), 3, kM);
    save_expander(dir.file("te.smte"), init_expander(kM, kN, Key{7}));
    testing::write_text(dir.file("a.hex"), std::string(64, 'a') + "\n");
    testing::write_text(dir.file("b.raw"), std::string(32, 'b'));
  }
  testing::CliResult run(std::vector<std::string> args) { return run_cli(args); }
  std::vector<std::string> enroll(const std::string& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"enroll", "--templates", dir.file("t.npy"), "--out", dir.file(out),
                                  "--expander", dir.file("te.smte"), "--alpha", "16", "--backend", "cpu"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::vector<std::string> verify(const std::string& records, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"verify", "--templates", dir.file("t.npy"), "--records", dir.file(records),
                                  "--expander", dir.file("te.smte"), "--backend", "cpu", "--json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

// One error line; anything else on stderr is the CLI's warning about codes under 112 bits.
void expect_one_error_line(const std::string& err) {
  size_t errors = 0, lines = 0;
  for (size_t at = 0; at < err.size();) {
    const size_t end = err.find('\n', at);
    const std::string line = err.substr(at, end == std::string::npos ? std::string::npos : end - at);
    ++lines;
    errors += line.rfind("spheremask: error", 0) == 0;
    if (line.rfind("spheremask: error", 0) != 0) EXPECT_EQ(line.rfind("spheremask: warning: code", 0), 0u) << line;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  EXPECT_EQ(errors, 1u) << err;
  EXPECT_TRUE(!err.empty() && err.back() == '\n') << err;
}

TEST(AppBindingCli, ExpanderEnrollWithoutKeyExitsTwoWithOneLineAndWritesNothing) {
  CliFixture f;
  const auto r = f.run(f.enroll("out"));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_one_error_line(r.err);
  expect_refusal_message(r.err);
  EXPECT_TRUE(!std::filesystem::exists(f.dir.file("out")) || std::filesystem::is_empty(f.dir.file("out")));
  const auto weak = f.run(f.enroll("weak", {"--allow-weak"}));
  EXPECT_EQ(weak.exit_code, 0) << weak.err;
  const auto v = f.run(f.verify("weak"));
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(nlohmann::json::parse(v.out)["accepted"], 3);
}

TEST(AppBindingCli, KeyFilesBindRecordsAndAnotherKeyOrNoneIsAMismatch) {
  CliFixture f;
  const auto e = f.run(f.enroll("keyed", {"--app-key-file", f.dir.file("a.hex")}));
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto same = f.run(f.verify("keyed", {"--app-key-file", f.dir.file("a.hex")}));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(nlohmann::json::parse(same.out)["accepted"], 3);
  for (const std::vector<std::string>& extra : {std::vector<std::string>{"--app-key-file", f.dir.file("b.raw")},
                                                std::vector<std::string>{}}) {
    const auto r = f.run(f.verify("keyed", extra));
    EXPECT_EQ(r.exit_code, 2) << r.err;
    expect_one_error_line(r.err);
    EXPECT_NE(r.err.find("(mismatch)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("application key"), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(AppBindingCli, UnreadableOrIllFormedKeyFilesExitTwoWithOneLine) {
  CliFixture f;
  testing::write_text(f.dir.file("short.hex"), std::string(63, 'a'));
  testing::write_text(f.dir.file("nothex.hex"), std::string(63, 'a') + "g");
  testing::write_text(f.dir.file("long.raw"), std::string(33, 'b'));
  for (const std::string& name : {"missing.key", "short.hex", "nothex.hex", "long.raw"}) {
    const auto r = f.run(f.enroll("never", {"--app-key-file", f.dir.file(name)}));
    EXPECT_EQ(r.exit_code, 2) << name << ": " << r.err;
    expect_one_error_line(r.err);
    EXPECT_NE(r.err.find(name), std::string::npos) << r.err;  // the message names the file
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(std::filesystem::exists(f.dir.file("never")) && !std::filesystem::is_empty(f.dir.file("never")));
  }
}

TEST(AppBindingCli, IdentifyAndOpenUseTheKey) {
  CliFixture f;
  const auto t = testing::random_unit_rows(2, kN, 9);
  write_npy_f32(f.dir.file("plain.npy"), t.data(), 2, kN);
  testing::write_text(f.dir.file("ids.txt"), "ann\nben\n");
  const std::string key = f.dir.file("a.hex"), plain = f.dir.file("plain.npy");
  auto r = f.run({"enroll", "--templates", plain, "--ids", f.dir.file("ids.txt"), "--store", f.dir.file("db.sqlite"),
                  "--alpha", "16", "--backend", "cpu", "--app-key-file", key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> identify = {"identify", "--store", f.dir.file("db.sqlite"), "--probes", plain,
                                             "--backend", "cpu", "--json"};
  auto with_key = identify;
  with_key.insert(with_key.end(), {"--app-key-file", key});
  r = f.run(with_key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["matches"][0]["ids"], nlohmann::json::array({"ann"}));
  EXPECT_EQ(j["matches"][1]["ids"], nlohmann::json::array({"ben"}));
  r = f.run(identify);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_one_error_line(r.err);
  EXPECT_NE(r.err.find("application key"), std::string::npos) << r.err;

  testing::write_text(f.dir.file("diary.txt"), "dear diary");
  r = f.run({"seal", "--template", plain, "--in", f.dir.file("diary.txt"), "--out", f.dir.file("d.smsf"), "--alpha", "16",
             "--backend", "cpu", "--app-key-file", key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> open = {"open", "--template", plain, "--in", f.dir.file("d.smsf"), "--out",
                                         f.dir.file("d.out"), "--backend", "cpu"};
  r = f.run(open);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  expect_one_error_line(r.err);
  EXPECT_NE(r.err.find("application key"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(f.dir.file("d.out")));
  auto open_key = open;
  open_key.insert(open_key.end(), {"--app-key-file", key});
  r = f.run(open_key);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::read_text(f.dir.file("d.out")), "dear diary");
}

}  // namespace
}  // namespace spheremask
