// Upgrade on verify: a v1 record in a store is rewritten as v2 only after a genuine probe released its
// key, in one transaction, and keeps releasing the same key; impostors, tampered records and v2
// records are left as they are. Runs on a copy of the v1 fixture store (tests/fixtures/v1).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tools/npy.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "support/test_store_util.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

const std::string kFixtures = std::string(SPHEREMASK_SOURCE_DIR) + "/tests/fixtures/v1/";
const std::string kAliceKey = "25e9b1e498593e4f246032a7b2e5355b6d32677e350ee58635dbda82033512d9";  // expected.json

std::string copy_fixture_store(const ScratchDir& dir) {
  const std::string path = dir.file("store.db");
  std::filesystem::copy_file(kFixtures + "store.db", path, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  return path;
}

std::unique_ptr<Engine> fixture_engine() {
  Params p;
  p.m = p.n = 128;
  p.alpha = 16;
  p.dtype = Dtype::F16;
  return make_engine(p, Backend::Cpu);
}

TEST(StoreUpgrade, GenuineVerificationRewritesV1AsV2WithTheSameKey) {
  ScratchDir dir("upgrade-api");
  const std::string path = copy_fixture_store(dir);
  const NpyMatrix probes = NpyMatrix::open(kFixtures + "store.probes.npy");
  auto engine = fixture_engine();
  Store store = Store::open(path, StoreMode::ReadWrite);
  const Record alice = store.get("alice");
  ASSERT_EQ(alice.version, kRecordVersion1);
  std::vector<std::optional<Record>> up;
  const auto kd = engine->verify_and_upgrade(probes.row(0), 1, {&alice, 1}, "fixture", up);
  ASSERT_EQ(kd[0].decision, Decision::Accept);
  EXPECT_EQ(to_hex(kd[0].key.bytes()), kAliceKey);
  ASSERT_TRUE(up[0].has_value());
  EXPECT_EQ(up[0]->version, kRecordVersion2);
  EXPECT_TRUE(store.replace_if_unchanged("alice", alice, *up[0]));
  const Record again = store.get("alice");
  EXPECT_EQ(again.version, kRecordVersion2);
  EXPECT_EQ(again.p, alice.p);
  const auto kd2 = engine->verify_and_derive(probes.row(0), 1, {&again, 1}, "fixture");
  EXPECT_EQ(kd2[0].decision, Decision::Accept);
  EXPECT_EQ(to_hex(kd2[0].key.bytes()), kAliceKey) << "the same key from the v2 rewrite";
  // A second replace against the old bytes finds the row changed and writes nothing.
  EXPECT_FALSE(store.replace_if_unchanged("alice", alice, *up[0]));
  EXPECT_FALSE(store.replace_if_unchanged("nobody", alice, *up[0]));
  EXPECT_EQ(store.get("alice").serialize(), again.serialize());
  // A v2 record verified again is not "upgraded"; an impostor never upgrades.
  engine->verify_and_upgrade(probes.row(0), 1, {&again, 1}, "x", up);
  EXPECT_FALSE(up[0].has_value());
  const Record carol = store.get("carol");
  EXPECT_EQ(engine->verify_and_upgrade(probes.row(2), 1, {&carol, 1}, "x", up)[0].decision, Decision::Reject);
  EXPECT_FALSE(up[0].has_value());
  // A replacement of another configuration is refused.
  Record other = alice;
  other.alpha = 17;
  try {
    store.replace_if_unchanged("bob", store.get("bob"), other);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
  }
  EXPECT_TRUE(store.check().empty());
}

TEST(StoreUpgrade, TamperedV1RecordIsNotUpgraded) {
  auto engine = fixture_engine();
  ScratchDir dir("upgrade-tamper");
  const std::string path = copy_fixture_store(dir);
  const NpyMatrix probes = NpyMatrix::open(kFixtures + "store.probes.npy");
  Store store = Store::open(path, StoreMode::ReadOnly);
  Record bob = store.get("bob");
  bob.mac[0] ^= 1;  // the v1 MAC no longer holds
  std::vector<std::optional<Record>> up;
  EXPECT_EQ(engine->verify_and_upgrade(probes.row(1), 1, {&bob, 1}, "x", up)[0].decision, Decision::Tampered);
  EXPECT_FALSE(up[0].has_value());
}

TEST(StoreUpgrade, CliUpgradeOnVerify) {
  ScratchDir dir("upgrade-cli");
  const std::string path = copy_fixture_store(dir);
  const std::string probes = kFixtures + "store.probes.npy";
  auto verify = [&](const std::string& id, int row, bool upgrade) {
    std::vector<std::string> args = {"verify", "--store", path, "--id", id, "--row", std::to_string(row),
                                     "--templates", probes, "--backend", "cpu", "--json"};
    if (upgrade) args.push_back("--upgrade-on-verify");
    const auto r = run_cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  };
  auto version_of = [&](const std::string& id) { return Store::open(path, StoreMode::ReadOnly).get(id).version; };
  auto j = verify("bob", 1, false);
  EXPECT_EQ(j["decision"], "accept");
  EXPECT_FALSE(j.contains("upgraded"));
  EXPECT_EQ(version_of("bob"), kRecordVersion1) << "no upgrade without the flag";
  j = verify("bob", 1, true);
  EXPECT_EQ(j["decision"], "accept");
  EXPECT_EQ(j["upgraded"], true);
  EXPECT_EQ(version_of("bob"), kRecordVersion2);
  j = verify("bob", 1, true);
  EXPECT_EQ(j["decision"], "accept");
  EXPECT_EQ(j["upgraded"], false) << "already v2";
  j = verify("carol", 2, true);
  EXPECT_EQ(j["decision"], "reject");
  EXPECT_EQ(j["upgraded"], false);
  EXPECT_EQ(version_of("carol"), kRecordVersion1);
  EXPECT_EQ(version_of("alice"), kRecordVersion1);
  // --upgrade-on-verify needs --store: a usage error (CLI11's exit code), nothing run.
  const auto bad = run_cli({"verify", "--records", dir.file("none"), "--templates", probes, "--upgrade-on-verify"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("--store"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace spheremask
