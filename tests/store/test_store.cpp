// The record store as a library: round trip, atomic batches, resume semantics, corruption reported
// with the row's id, refusing files that are not stores.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/store.hpp"
#include "support/test_store_util.hpp"

namespace spheremask {
namespace {

using testing::ScratchDir;

std::vector<Record> make_records(size_t count, Dtype dtype = Dtype::F32, uint8_t seed_byte = 7) {
  Params p;
  p.m = p.n = 128;
  p.alpha = 16;
  p.dtype = dtype;
  auto engine = make_engine(p, Backend::Cpu);
  const auto t = testing::random_unit_rows(count, 128, 11);
  EnrollOptions o;
  o.insecure_seed = std::array<uint8_t, 32>{seed_byte};
  return engine->enroll(t.data(), count, o);
}

// Runs fn and returns the Error it throws (failing the test when it throws nothing).
template <class Fn>
Error error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected spheremask::Error";
  return Error(ErrorCode::InvalidArgument, "none");
}

TEST(Store, RoundTripKeepsEveryByteAndTheMetadata) {
  ScratchDir dir("store-roundtrip");
  const auto records = make_records(4);
  const std::vector<std::string> ids = {"carol", "alice", "dave", "bob"};
  {
    Store store = Store::open(dir.file("db.sqlite"));
    EXPECT_EQ(store.count(), 0u);
    store.put(ids, records);
  }
  const Store store = Store::open(dir.file("db.sqlite"), StoreMode::ReadOnly);
  EXPECT_EQ(store.count(), 4u);
  EXPECT_TRUE(store.contains("alice"));
  EXPECT_FALSE(store.contains("eve"));
  EXPECT_EQ(store.ids(), (std::vector<std::string>{"alice", "bob", "carol", "dave"}));
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(store.get(ids[i]).serialize(), records[i].serialize()) << ids[i];
  const auto configs = store.configurations();
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0].first, RecordConfig::of(records[0]));
  EXPECT_EQ(configs[0].second, 4u);
  const auto gallery = store.load_gallery(configs[0].first);
  EXPECT_EQ(gallery.ids, store.ids());
  EXPECT_EQ(gallery.records[0].serialize(), records[1].serialize());  // alice
  EXPECT_TRUE(store.check().empty());
  EXPECT_EQ(error_of([&] { store.get("eve"); }).code(), ErrorCode::Store);
}

TEST(Store, GalleriesAreSeparatedByConfigurationAndChunked) {
  ScratchDir dir("store-configs");
  Store store = Store::open(dir.file("db.sqlite"));
  const auto f32 = make_records(3, Dtype::F32);
  const auto f16 = make_records(2, Dtype::F16);
  store.put(std::vector<std::string>{"a", "b", "c"}, f32);
  store.put(std::vector<std::string>{"x", "y"}, f16);
  const auto configs = store.configurations();
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_EQ(store.load_gallery(RecordConfig::of(f16[0])).ids, (std::vector<std::string>{"x", "y"}));
  size_t chunks = 0, seen = 0;
  store.scan_gallery(RecordConfig::of(f32[0]), 1, false, [&](GalleryChunk& c) {  // 1 byte: one record per chunk
    ++chunks;
    seen += c.records.size();
    return true;
  });
  EXPECT_EQ(chunks, 3u);
  EXPECT_EQ(seen, 3u);
}

TEST(Store, BatchIsAllOrNothingAndReplaceOverwrites) {
  ScratchDir dir("store-atomic");
  Store store = Store::open(dir.file("db.sqlite"));
  const auto first = make_records(2, Dtype::F32, 1);
  const auto second = make_records(2, Dtype::F32, 2);
  store.put(std::vector<std::string>{"a", "b"}, first);
  const Error e = error_of([&] { store.put(std::vector<std::string>{"c", "a"}, second); });
  EXPECT_EQ(e.code(), ErrorCode::Store);
  EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
  EXPECT_EQ(store.count(), 2u);
  EXPECT_FALSE(store.contains("c"));  // the whole batch rolled back
  EXPECT_EQ(store.get("a").serialize(), first[0].serialize());
  store.put(std::vector<std::string>{"c", "a"}, second, /*replace=*/true);
  EXPECT_EQ(store.count(), 3u);
  EXPECT_EQ(store.get("a").serialize(), second[1].serialize());
  EXPECT_EQ(store.get("b").serialize(), first[1].serialize());
  EXPECT_EQ(error_of([&] { store.put(std::vector<std::string>{"d", "d"}, second); }).code(), ErrorCode::InvalidArgument);
}

// Flips one byte of a stored BLOB with the SQLite API directly, as a failing disk or an attacker would.
void corrupt_blob(const std::string& db_path, const std::string& id, size_t offset) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT record FROM records WHERE id = ?1", -1, &s, nullptr), SQLITE_OK);
  sqlite3_bind_text(s, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s, 0));
  std::vector<uint8_t> bytes(p, p + sqlite3_column_bytes(s, 0));
  sqlite3_finalize(s);
  bytes.at(offset) ^= 0x01;
  ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE records SET record = ?1 WHERE id = ?2", -1, &s, nullptr), SQLITE_OK);
  sqlite3_bind_blob(s, 1, bytes.data(), int(bytes.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s, 2, id.c_str(), -1, SQLITE_TRANSIENT);
  ASSERT_EQ(sqlite3_step(s), SQLITE_DONE);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST(Store, CorruptedRowIsReportedWithItsId) {
  ScratchDir dir("store-corrupt");
  const std::string path = dir.file("db.sqlite");
  const auto records = make_records(3);
  Store::open(path).put(std::vector<std::string>{"alice", "bob", "carol"}, records);
  corrupt_blob(path, "bob", kRecordHeaderSize + 1000);  // one bit of P
  const Store store = Store::open(path, StoreMode::ReadOnly);
  EXPECT_EQ(store.get("alice").serialize(), records[0].serialize());
  const Error e = error_of([&] { store.get("bob"); });
  EXPECT_EQ(e.code(), ErrorCode::InvalidRecord);
  const std::string msg = e.what();
  EXPECT_NE(msg.find("'bob'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("checksum"), std::string::npos) << msg;
  const auto problems = store.check();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].id, "bob");
  const Error g = error_of([&] { store.load_gallery(RecordConfig::of(records[0])); });
  EXPECT_NE(std::string(g.what()).find("'bob'"), std::string::npos) << g.what();
}

TEST(Store, MetadataThatDisagreesWithTheRecordIsCorruption) {
  ScratchDir dir("store-metadata");
  const std::string path = dir.file("db.sqlite");
  Store::open(path).put(std::vector<std::string>{"alice"}, make_records(1));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE records SET alpha = 12", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const Error e = error_of([&] { Store::open(path, StoreMode::ReadOnly).get("alice"); });
  EXPECT_EQ(e.code(), ErrorCode::InvalidRecord);
  EXPECT_NE(std::string(e.what()).find("'alice'"), std::string::npos) << e.what();
}

TEST(Store, RefusesFilesThatAreNotStores) {
  ScratchDir dir("store-foreign");
  EXPECT_EQ(error_of([&] { Store::open(dir.file("missing.sqlite"), StoreMode::ReadOnly); }).code(), ErrorCode::Store);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("foreign.sqlite").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  const Error e = error_of([&] { Store::open(dir.file("foreign.sqlite")); });
  EXPECT_EQ(e.code(), ErrorCode::Store);
  EXPECT_NE(std::string(e.what()).find("not a spheremask store"), std::string::npos) << e.what();
  testing::write_text(dir.file("text.sqlite"), "hello, this is not a database at all, not even close....................");
  EXPECT_EQ(error_of([&] { Store::open(dir.file("text.sqlite")); }).code(), ErrorCode::Store);
}

// The metadata columns a gallery is selected by are bound from a RecordConfig built per row; they must
// hold the record's own ids byte for byte (AddressSanitizer caught them read from a dead temporary).
TEST(Store, MetadataColumnsHoldTheRecordsIdsExactly) {
  ScratchDir dir("store-columns");
  const std::string path = dir.file("db.sqlite");
  Params p;
  p.m = p.n = 128;
  p.alpha = 16;
  std::array<uint8_t, 32> app_key{};
  for (size_t i = 0; i < app_key.size(); ++i) app_key[i] = uint8_t(0xA0 + i);
  p.app_key = app_key;
  EnrollOptions o;
  o.insecure_seed = std::array<uint8_t, 32>{3};
  const auto t = testing::random_unit_rows(3, 128, 5);
  const auto records = make_engine(p, Backend::Cpu)->enroll(t.data(), 3, o);
  Store::open(path).put(std::vector<std::string>{"a", "b", "c"}, records);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id, expander_id, app_id, dtype FROM records ORDER BY id", -1, &s, nullptr),
            SQLITE_OK);
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    ASSERT_EQ(sqlite3_column_bytes(s, 1), 32);
    ASSERT_EQ(sqlite3_column_bytes(s, 2), 32);
    const auto* expander = static_cast<const uint8_t*>(sqlite3_column_blob(s, 1));
    const auto* app = static_cast<const uint8_t*>(sqlite3_column_blob(s, 2));
    EXPECT_TRUE(std::equal(records[i].expander_id.begin(), records[i].expander_id.end(), expander)) << i;
    EXPECT_TRUE(std::equal(records[i].app_id.begin(), records[i].app_id.end(), app)) << i;
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 3)), "f32");
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  const auto configs = Store::open(path, StoreMode::ReadOnly).configurations();
  ASSERT_EQ(configs.size(), 1u);
  EXPECT_EQ(configs[0].first, RecordConfig::of(records[0]));
  EXPECT_NE(records[0].app_id, (std::array<uint8_t, 32>{}));
}

TEST(Store, UsesWriteAheadLogging) {
  ScratchDir dir("store-wal");
  Store::open(dir.file("db.sqlite")).put(std::vector<std::string>{"a"}, make_records(1));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir.file("db.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

}  // namespace
}  // namespace spheremask
