// Sharded-store logic without MPI: placement of ids (known answers, a partition of the shards among
// processes, balance), the manifest (round trip, every malformed field named), and the checks that
// refuse a missing, foreign or misplaced shard.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "shard/shard_layout.hpp"
#include "shard/shard_manifest.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "support/expect_error.hpp"
#include "support/scratch_dir.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::error_code_of;
using testing::ScratchDir;

std::vector<Record> make_records(size_t count, uint32_t alpha) {
  Params p;
  p.m = p.n = 128;
  p.alpha = alpha;
  auto engine = make_engine(p, Backend::Cpu);
  const auto t = testing::random_unit_rows(count, 128, 5);
  EnrollOptions o;
  o.insecure_seed = std::array<uint8_t, 32>{3};
  return engine->enroll(t.data(), count, o);
}

TEST(ShardLayout, PlacementKnownAnswers) {
  // First 8 bytes of SHA-256(id), big-endian, mod S (values from Python's hashlib).
  EXPECT_EQ(shard::shard_of("alice", 3), 2u);
  EXPECT_EQ(shard::shard_of("alice", 1000), 207u);
  EXPECT_EQ(shard::shard_of("bob", 65536), 50906u);
  EXPECT_EQ(shard::shard_of("subject-000042", 7), 2u);
  EXPECT_EQ(shard::shard_of("subject-000042", 1000), 211u);
  EXPECT_EQ(shard::shard_of("", 1000), 652u);
  EXPECT_EQ(shard::shard_of("anyone", 1), 0u);
}

TEST(ShardLayout, RejectsShardCountsOutOfRange) {
  EXPECT_EQ(error_code_of([] { shard::shard_of("alice", 0); }), ErrorCode::InvalidArgument);
  EXPECT_EQ(error_code_of([] { shard::shard_of("alice", shard::kMaxShards + 1); }), ErrorCode::InvalidArgument);
}

TEST(ShardLayout, FileNames) {
  EXPECT_EQ(shard::shard_file_name(0), "shard-0000.sqlite");
  EXPECT_EQ(shard::shard_file_name(17), "shard-0017.sqlite");
  EXPECT_EQ(shard::shard_file_name(12345), "shard-12345.sqlite");
  EXPECT_EQ(shard::shard_path("/x/y", 1), "/x/y/shard-0001.sqlite");
}

TEST(ShardLayout, OwnershipPartitionsTheShards) {
  for (uint32_t ranks = 1; ranks <= 5; ++ranks)
    for (uint32_t shards = ranks; shards <= 12; ++shards) {
      std::multiset<uint32_t> seen;
      for (uint32_t r = 0; r < ranks; ++r) {
        const auto owned = shard::owned_shards(r, ranks, shards);
        ASSERT_FALSE(owned.empty());
        EXPECT_EQ(owned.front(), r);
        for (uint32_t s : owned) {
          seen.insert(s);
          EXPECT_EQ(shard::owner_of(s, ranks), r);
        }
      }
      ASSERT_EQ(seen.size(), shards);
      for (uint32_t s = 0; s < shards; ++s) EXPECT_EQ(seen.count(s), 1u) << ranks << " ranks, " << shards << " shards";
    }
  EXPECT_EQ(error_code_of([] { shard::owned_shards(0, 4, 3); }), ErrorCode::InvalidArgument);  // more ranks than shards
  EXPECT_EQ(error_code_of([] { shard::owned_shards(2, 2, 3); }), ErrorCode::InvalidArgument);
}

TEST(ShardLayout, SpreadsIdsEvenly) {
  std::vector<size_t> count(3, 0);
  for (int i = 0; i < 3000; ++i) ++count[shard::shard_of("subject-" + std::to_string(i), 3)];
  for (size_t c : count) {  // 1000 expected, binomial sd ≈ 26
    EXPECT_GT(c, 850u);
    EXPECT_LT(c, 1150u);
  }
}

shard::ShardManifest sample_manifest() {
  shard::ShardManifest m;
  m.shard_count = 4;
  m.config.m = 128;
  m.config.n = 128;
  m.config.alpha = 16;
  m.config.dtype = Dtype::F32;
  m.config.app_id[0] = 0xab;
  m.config.app_id[31] = 0x01;
  return m;
}

TEST(ShardManifest, RoundTrips) {
  ScratchDir dir("shard-manifest");
  const auto m = sample_manifest();
  shard::write_manifest(dir.file("store"), m);
  const auto back = shard::read_manifest(dir.file("store"));
  EXPECT_EQ(back.version, shard::ShardManifest::kVersion);
  EXPECT_EQ(back.shard_count, 4u);
  EXPECT_TRUE(back.config == m.config);
  EXPECT_NE(testing::read_text(shard::manifest_path(dir.file("store"))).find("\"placement\": \"sha256-first8-be-mod\""),
            std::string::npos);
}

TEST(ShardManifest, RejectsMalformedFieldsByName) {
  const std::string good = sample_manifest().to_json();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  auto message = [](const std::string& text) {
    try {
      shard::ShardManifest::parse(text, "m.json");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::Store);
      return std::string(e.what());
    }
    ADD_FAILURE() << "accepted: " << text;
    return std::string();
  };
  EXPECT_NE(message("not json").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message(replaced("\"shards\": 4", "\"shards\": 0")).find("'shards'"), std::string::npos);
  EXPECT_NE(message(replaced("\"version\": 1", "\"version\": 2")).find("'version'"), std::string::npos);
  EXPECT_NE(message(replaced("\"dtype\": \"f32\"", "\"dtype\": \"f64\"")).find("'dtype'"), std::string::npos);
  EXPECT_NE(message(replaced("\"app_id\": \"ab", "\"app_id\": \"zz")).find("'app_id'"), std::string::npos);
  EXPECT_NE(message(replaced("\"placement\": \"sha256-first8-be-mod\"", "\"placement\": \"crc32\"")).find("'placement'"),
            std::string::npos);
  EXPECT_NE(message(replaced("\"alpha\": 16,", "")).find("'alpha' is missing"), std::string::npos);
  ScratchDir dir("shard-manifest-missing");
  EXPECT_EQ(error_code_of([&] { shard::read_manifest(dir.file("none")); }), ErrorCode::Store);
}

TEST(ShardManifest, RefusesMissingForeignAndMisplacedShards) {
  ScratchDir dir("shard-open");
  const std::string root = dir.file("store");
  auto m = sample_manifest();
  m.config.app_id = {};
  shard::write_manifest(root, m);
  // Missing: a read needs the file; an enrollment creates it.
  EXPECT_EQ(error_code_of([&] { shard::open_shard(root, m, 1, StoreMode::ReadOnly); }), ErrorCode::Store);
  EXPECT_EQ(shard::open_shard(root, m, 1, StoreMode::Create).count(), 0u);
  EXPECT_EQ(error_code_of([&] { shard::open_shard(root, m, 4, StoreMode::ReadOnly); }), ErrorCode::InvalidArgument);
  // Not a store at all.
  testing::write_text(shard::shard_path(root, 2), std::string(4096, 'x'));
  EXPECT_EQ(error_code_of([&] { shard::open_shard(root, m, 2, StoreMode::ReadOnly); }), ErrorCode::Store);
  // Foreign: records of another configuration (alpha 24 instead of 16).
  {
    Store s = Store::open(shard::shard_path(root, 3));
    const auto recs = make_records(1, 24);
    s.put(std::vector<std::string>{"alice"}, recs);
  }
  EXPECT_EQ(error_code_of([&] { shard::open_shard(root, m, 3, StoreMode::ReadOnly); }), ErrorCode::Mismatch);
  // Misplaced: an id in a shard that is not its own (a renamed or copied file) is named with its home.
  const uint32_t home = shard::shard_of("alice", 4);
  EXPECT_NO_THROW(shard::require_placement({"alice"}, home, m, "s"));
  try {
    shard::require_placement({"alice"}, (home + 1) % 4, m, "s");
    ADD_FAILURE() << "misplaced id accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Store);
    EXPECT_NE(std::string(e.what()).find("'alice' belongs in shard " + std::to_string(home)), std::string::npos);
  }
}

}  // namespace
}  // namespace spheremask
