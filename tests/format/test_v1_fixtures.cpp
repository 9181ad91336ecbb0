// Records and a store written by the v1 code (tests/fixtures/v1, made before format v2) keep verifying
// with the same decisions and the same released keys: readers read v1 forever.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tools/npy.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/store.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using namespace spheremask::testing;

const std::string kDir = std::string(SPHEREMASK_SOURCE_DIR) + "/tests/fixtures/v1/";

nlohmann::json expected() {
  std::ifstream in(kDir + "expected.json");
  return nlohmann::json::parse(in);
}

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

Decision decision_of(const std::string& s) {
  return s == "accept" ? Decision::Accept : s == "reject" ? Decision::Reject : Decision::Tampered;
}

std::array<uint8_t, 32> array32(const std::string& hex) {
  const auto v = from_hex(hex);
  std::array<uint8_t, 32> a{};
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

Params params_of(const nlohmann::json& j, const nlohmann::json& all) {
  Params p;
  p.m = j["m"];
  p.n = j["n"];
  p.alpha = j["alpha"];
  p.dtype = j["dtype"] == "f16" ? Dtype::F16 : Dtype::F32;
  if (j.contains("expander_seed0") && !j["expander_seed0"].is_null()) {
    std::array<uint8_t, 32> seed{};
    seed[0] = uint8_t(j["expander_seed0"].get<int>());
    p.expander = make_expander(init_expander(p.m, p.n, seed));
  }
  if (j.contains("app_key") && j["app_key"].get<bool>()) p.app_key = array32(all["app_key"]);
  return p;
}

void expect_keyed(const std::vector<KeyedDecision>& got, const std::vector<std::string>& decisions,
                  const std::vector<std::string>& keys, const std::string& what) {
  ASSERT_EQ(got.size(), decisions.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].decision, decision_of(decisions[i])) << what << " probe " << i;
    const auto& k = got[i].key.bytes();
    EXPECT_EQ(to_hex(k), keys[i].empty() ? std::string(64, '0') : keys[i]) << what << " probe " << i;
  }
}

TEST(V1Fixtures, RecordsVerifyWithTheSameDecisionsAndKeys) {
  const auto all = expected();
  ASSERT_EQ(all["records"].size(), 3u);
  for (const auto& j : all["records"]) {
    const std::string file = j["file"];
    const auto bytes = read_bytes(kDir + file);
    ASSERT_GT(bytes.size(), 4u) << file;
    ASSERT_EQ(bytes[4] | bytes[5] << 8, 1) << file << " is a v1 record";
    const Record r = Record::parse(bytes);
    EXPECT_EQ(r.serialize(), bytes) << file << ": a parsed v1 record serializes to the same bytes";
    const Params p = params_of(j, all);
    auto engine = make_engine(p, Backend::Cpu);
    const NpyMatrix probes = NpyMatrix::open(kDir + j["probes"].get<std::string>());
    ASSERT_EQ(probes.rows(), 2u);
    const std::vector<Record> recs = {r, r};
    const auto got = engine->verify_and_derive(probes.data(), 2, recs, all["context"].get<std::string>());
    expect_keyed(got, j["decisions"], j["keys"], file);
    const auto plain = engine->verify(probes.data(), 2, recs);
    for (size_t i = 0; i < 2; ++i) EXPECT_EQ(plain[i], got[i].decision) << file;
    EXPECT_EQ(plain[0], Decision::Accept) << file << ": the fixture must exercise an accept";
  }
}

TEST(V1Fixtures, StoreVerifiesWithTheSameDecisionsAndKeys) {
  const auto all = expected();
  const auto& s = all["store"];
  const Store store = Store::open(kDir + s["file"].get<std::string>(), StoreMode::ReadOnly);
  const NpyMatrix probes = NpyMatrix::open(kDir + s["probes"].get<std::string>());
  auto engine = make_engine(params_of(s, all), Backend::Cpu);
  std::vector<Record> recs;
  std::vector<std::string> decisions, keys;
  std::vector<float> rows;
  for (const auto& row : s["rows"]) {
    recs.push_back(store.get(row["id"].get<std::string>()));
    const size_t i = row["row"];
    rows.insert(rows.end(), probes.row(i), probes.row(i) + probes.cols());
    decisions.push_back(row["decision"]);
    keys.push_back(row["key"]);
  }
  EXPECT_EQ(store.check().size(), 0u);
  const auto got = engine->verify_and_derive(rows.data(), recs.size(), recs, all["context"].get<std::string>());
  expect_keyed(got, decisions, keys, "store");
}

}  // namespace
}  // namespace spheremask
