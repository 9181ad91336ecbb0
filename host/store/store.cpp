#include "spheremask/store.hpp"

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "util/parallel.hpp"
#include "format/record_batch.hpp"
#include "spheremask/error.hpp"
#include "store/store_rows.hpp"
#include "store/store_sqlite.hpp"
#include "util/hex.hpp"

namespace spheremask {
namespace {

using internal::sqlite::Database;
using internal::sqlite::Statement;
using internal::sqlite::Transaction;
using internal::parse_rows;
using internal::RawRow;

constexpr int64_t kApplicationId = 0x534D5354;  // "SMST": marks the file as a spheremask store
constexpr int64_t kSchemaVersion = 1;

// Large pages keep a ~1 MiB record to a short overflow chain (17 pages instead of 257 at 4 KiB).
constexpr const char* kCreatePragmas = "PRAGMA page_size = 65536; PRAGMA journal_mode = WAL;";

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS records(
  id          TEXT PRIMARY KEY NOT NULL CHECK(length(id) > 0),
  created_at  INTEGER NOT NULL,                            -- Unix time, seconds, UTC
  m           INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  alpha       INTEGER NOT NULL,
  dtype       TEXT NOT NULL CHECK(dtype IN ('f32', 'f16')),
  expander_id BLOB NOT NULL,                               -- 32 bytes, zeros = none
  app_id      BLOB NOT NULL,                               -- 32 bytes, zeros = none
  record      BLOB NOT NULL                                -- SMHD v1 or v2 (DESIGN §4)
);
CREATE INDEX IF NOT EXISTS records_by_config ON records(m, n, alpha, dtype, expander_id, app_id, id);
)sql";

// Columns every record-reading query selects, in this order, starting at column 1 (column 0 = id).
constexpr const char* kRecordColumns = "id, m, n, alpha, dtype, expander_id, app_id, record";

const char* dtype_text(Dtype d) { return d == Dtype::F16 ? "f16" : "f32"; }

std::string hex_prefix(const std::array<uint8_t, 32>& id) {
  bool zero = true;
  for (uint8_t b : id) zero = zero && b == 0;
  if (zero) return "none";
  return internal::to_hex(id.data(), 8) + "…";
}

std::array<uint8_t, 32> id32(std::span<const uint8_t> blob) {
  std::array<uint8_t, 32> out{};
  if (blob.size() == 32) std::copy(blob.begin(), blob.end(), out.begin());
  return out;
}

RecordConfig row_config(const Statement& s) {
  RecordConfig c;
  c.m = uint32_t(s.column_int(1));
  c.n = uint32_t(s.column_int(2));
  c.alpha = uint32_t(s.column_int(3));
  c.dtype = s.column_text(4) == "f16" ? Dtype::F16 : Dtype::F32;
  c.expander_id = id32(s.column_blob(5));
  c.app_id = id32(s.column_blob(6));
  return c;
}

RawRow read_row(const Statement& s) {
  RawRow r;
  r.id = s.column_text(0);
  r.config = row_config(s);
  r.id_columns_ok = s.column_blob(5).size() == 32 && s.column_blob(6).size() == 32;
  const auto blob = s.column_blob(7);
  r.record.assign(blob.begin(), blob.end());
  return r;
}

// Rows per parse_rows call while scanning: enough for every core to hash several records at once.
size_t scan_group() { return 8 * size_t(internal::resolve_threads(0)); }

Record parse_row(const std::string& path, const Statement& s, bool allow_weak) {
  std::vector<RawRow> rows{read_row(s)};
  auto parsed = parse_rows(path, rows, allow_weak);
  if (!parsed[0].ok) throw Error(ErrorCode::InvalidRecord, parsed[0].error);
  return std::move(parsed[0].record);
}

void bind_config(Statement& s, int first, const RecordConfig& c) {
  s.bind(first, int64_t(c.m)).bind(first + 1, int64_t(c.n)).bind(first + 2, int64_t(c.alpha));
  s.bind(first + 3, std::string_view(dtype_text(c.dtype)));
  s.bind(first + 4, std::span<const uint8_t>(c.expander_id)).bind(first + 5, std::span<const uint8_t>(c.app_id));
}

// A failed write (disk full, read-only file or medium, I/O error) leaves the transaction to roll back:
// nothing of the batch is stored and every batch committed before is intact.
[[noreturn]] void write_failed(const std::string& path, const Database& db, const std::string& id) {
  throw Error(ErrorCode::Store, path + ": cannot write the batch (at id '" + id + "'): " + sqlite3_errmsg(db.get()) +
                                    "; nothing of this batch was stored, earlier batches are intact");
}

int open_flags(StoreMode mode) {
  switch (mode) {
    case StoreMode::ReadOnly: return SQLITE_OPEN_READONLY;
    case StoreMode::ReadWrite: return SQLITE_OPEN_READWRITE;
    case StoreMode::Create: return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }
  return SQLITE_OPEN_READONLY;
}

}  // namespace

RecordConfig RecordConfig::of(const Record& r) {
  return {r.m, r.n, r.alpha, r.dtype, r.expander_id, r.app_id};
}

std::string RecordConfig::describe() const {
  return "m=" + std::to_string(m) + " n=" + std::to_string(n) + " alpha=" + std::to_string(alpha) +
         " dtype=" + dtype_text(dtype) + " expander=" + hex_prefix(expander_id) + " app=" + hex_prefix(app_id);
}

struct Store::Impl {
  std::string path;
  Database db;
  Impl(std::string p, StoreMode mode) : path(std::move(p)), db(path, open_flags(mode)) {}
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

namespace {

// Checks that the file is a store of this schema (creating it in an empty file) and sets the pragmas.
void setup_store(Store::Impl& impl, StoreMode mode) {
  const std::string& path = impl.path;
  Database& db = impl.db;
  const int64_t app = db.pragma_int("application_id");
  const int64_t version = db.pragma_int("user_version");
  if (app == 0 && version == 0) {
    int64_t tables = 0;
    {  // the statement must be finished before journal_mode can change
      Statement s(db, "SELECT count(*) FROM sqlite_master");
      s.step();
      tables = s.column_int(0);
    }
    if (tables != 0) throw Error(ErrorCode::Store, path + ": not a spheremask store (a foreign SQLite database)");
    if (mode == StoreMode::ReadOnly) throw Error(ErrorCode::Store, path + ": empty file, not a spheremask store");
    db.exec(kCreatePragmas);
    Transaction t(db);
    db.exec(kSchema);
    db.exec(("PRAGMA application_id = " + std::to_string(kApplicationId) + "; PRAGMA user_version = " +
             std::to_string(kSchemaVersion) + ";").c_str());
    t.commit();
  } else if (app != kApplicationId) {
    throw Error(ErrorCode::Store, path + ": not a spheremask store (SQLite application_id " + std::to_string(app) + ")");
  } else if (version != kSchemaVersion) {
    throw Error(ErrorCode::Store, path + ": store schema version " + std::to_string(version) + ", this build reads " +
                                      std::to_string(kSchemaVersion));
  }
  if (mode != StoreMode::ReadOnly) {
    if (db.pragma_text("PRAGMA journal_mode = WAL") != "wal")
      throw Error(ErrorCode::Store, path + ": cannot switch the store to WAL mode");
    // synchronous=FULL: each COMMIT fsyncs the WAL before returning, so a batch the CLI reports as
    // committed survives power loss and OS crashes, not only kill -9 (which NORMAL would already
    // survive). The cost is one fsync per batch transaction, negligible next to writing ~1 MiB per record.
    db.exec("PRAGMA synchronous = FULL");
    // Keep the WAL from staying at its high-water mark (a batch of f32 records is hundreds of MiB).
    db.exec("PRAGMA journal_size_limit = 67108864");
  }
}

}  // namespace

Store Store::open(const std::string& path, StoreMode mode) {
  if (mode != StoreMode::Create && !std::filesystem::exists(path))
    throw Error(ErrorCode::Store, path + ": no such store");
  auto impl = std::make_unique<Impl>(path, mode);
  try {
    setup_store(*impl, mode);
  } catch (const Error& e) {
    const std::string what = e.what();
    throw Error(e.code(), what.rfind(path + ": ", 0) == 0 ? what : path + ": " + what);  // name the file
  }
  return Store(std::move(impl));
}

const std::string& Store::path() const { return impl_->path; }

size_t Store::count() const {
  Statement s(impl_->db, "SELECT count(*) FROM records");
  s.step();
  return size_t(s.column_int(0));
}

bool Store::contains(std::string_view id) const {
  Statement s(impl_->db, "SELECT 1 FROM records WHERE id = ?1");
  s.bind(1, id);
  return s.step();
}

void Store::put(std::span<const std::string> ids, std::span<const Record> records, bool replace) {
  if (ids.size() != records.size())
    throw Error(ErrorCode::InvalidArgument, std::to_string(ids.size()) + " ids but " + std::to_string(records.size()) +
                                                " records");
  const int64_t max_blob = sqlite3_limit(impl_->db.get(), SQLITE_LIMIT_LENGTH, -1);
  std::set<std::string_view> seen;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].empty()) throw Error(ErrorCode::InvalidArgument, "empty id at batch position " + std::to_string(i));
    if (!seen.insert(ids[i]).second) throw Error(ErrorCode::InvalidArgument, "id '" + ids[i] + "' appears twice in one batch");
    if (int64_t(records[i].serialized_size()) > max_blob)
      throw Error(ErrorCode::Store, "id '" + ids[i] + "': a record of " + std::to_string(records[i].serialized_size()) +
                                        " bytes exceeds SQLite's blob limit of " + std::to_string(max_blob) + " bytes");
  }
  std::optional<Transaction> t;
  try {
    t.emplace(impl_->db);
  } catch (const Error&) {
    write_failed(impl_->path, impl_->db, ids.empty() ? std::string() : ids.front());
  }
  Statement exists(impl_->db, "SELECT 1 FROM records WHERE id = ?1");
  Statement insert(impl_->db,
                   replace ? "INSERT INTO records(id, created_at, m, n, alpha, dtype, expander_id, app_id, record) "
                             "VALUES(?1, CAST(strftime('%s', 'now') AS INTEGER), ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET "
                             "created_at = excluded.created_at, m = excluded.m, n = excluded.n, alpha = excluded.alpha, "
                             "dtype = excluded.dtype, expander_id = excluded.expander_id, app_id = excluded.app_id, "
                             "record = excluded.record"
                           : "INSERT INTO records(id, created_at, m, n, alpha, dtype, expander_id, app_id, record) "
                             "VALUES(?1, CAST(strftime('%s', 'now') AS INTEGER), ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!replace) {
      exists.bind(1, ids[i]);
      const bool present = exists.step();
      exists.reset();
      if (present) throw Error(ErrorCode::Store, impl_->path + ": id '" + ids[i] + "' is already enrolled");
    }
    const std::vector<uint8_t> bytes = records[i].serialize();
    insert.bind(1, ids[i]);
    bind_config(insert, 2, RecordConfig::of(records[i]));
    insert.bind_borrowed(8, std::span<const uint8_t>(bytes));  // ~1 MiB: not copied, lives past step()
    try {
      insert.step();
    } catch (const Error&) {
      write_failed(impl_->path, impl_->db, ids[i]);
    }
    insert.reset();
  }
  try {
    t->commit();
  } catch (const Error&) {
    write_failed(impl_->path, impl_->db, ids.back());
  }
}

bool Store::replace_if_unchanged(std::string_view id, const Record& current, const Record& replacement) {
  if (!(RecordConfig::of(current) == RecordConfig::of(replacement)))
    throw Error(ErrorCode::InvalidArgument, "id '" + std::string(id) + "': the replacement record has another configuration (" +
                                                RecordConfig::of(replacement).describe() + ")");
  const std::vector<uint8_t> before = current.serialize();
  const std::vector<uint8_t> after = replacement.serialize();
  Transaction t(impl_->db);
  Statement update(impl_->db, "UPDATE records SET record = ?2 WHERE id = ?1 AND record = ?3");
  update.bind(1, id);
  update.bind(2, std::span<const uint8_t>(after));
  update.bind(3, std::span<const uint8_t>(before));
  update.step();
  const bool replaced = sqlite3_changes(impl_->db.get()) == 1;
  t.commit();
  return replaced;
}

Record Store::get(std::string_view id, bool allow_weak) const {
  Statement s(impl_->db, std::string("SELECT ") + kRecordColumns + " FROM records WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) throw Error(ErrorCode::Store, impl_->path + ": no record for id '" + std::string(id) + "'");
  return parse_row(impl_->path, s, allow_weak);
}

std::vector<std::string> Store::ids() const {
  Statement s(impl_->db, "SELECT id FROM records ORDER BY id");
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.column_text(0));
  return out;
}

std::vector<std::pair<RecordConfig, size_t>> Store::configurations() const {
  Statement s(impl_->db,
              "SELECT count(*), m, n, alpha, dtype, expander_id, app_id FROM records "
              "GROUP BY m, n, alpha, dtype, expander_id, app_id ORDER BY m, n, alpha, dtype, expander_id, app_id");
  std::vector<std::pair<RecordConfig, size_t>> out;
  while (s.step()) out.emplace_back(row_config(s), size_t(s.column_int(0)));
  return out;
}

void Store::scan_gallery(const RecordConfig& config, size_t max_chunk_bytes, bool allow_weak,
                         const std::function<bool(GalleryChunk&)>& fn) const {
  Statement s(impl_->db, std::string("SELECT ") + kRecordColumns +
                             " FROM records WHERE m = ?1 AND n = ?2 AND alpha = ?3 AND dtype = ?4 AND expander_id = ?5 "
                             "AND app_id = ?6 ORDER BY id");
  bind_config(s, 1, config);
  GalleryChunk chunk;
  size_t bytes = 0;
  for (bool more = true; more;) {
    std::vector<RawRow> rows;
    while (rows.size() < scan_group() && (more = s.step())) rows.push_back(read_row(s));
    auto parsed = parse_rows(impl_->path, rows, allow_weak);
    for (size_t i = 0; i < rows.size(); ++i) {
      if (!parsed[i].ok) throw Error(ErrorCode::InvalidRecord, parsed[i].error);
      chunk.records.push_back(std::move(parsed[i].record));
      chunk.ids.push_back(rows[i].id);
      bytes += chunk.records.back().serialized_size();
      if (bytes >= max_chunk_bytes) {
        if (!fn(chunk)) return;
        chunk = {};
        bytes = 0;
      }
    }
  }
  if (!chunk.ids.empty()) fn(chunk);
}

GalleryChunk Store::load_gallery(const RecordConfig& config, bool allow_weak) const {
  GalleryChunk all;
  scan_gallery(config, SIZE_MAX, allow_weak, [&](GalleryChunk& c) {
    all = std::move(c);
    return true;
  });
  return all;
}

std::vector<StoreProblem> Store::check(bool allow_weak) const {
  Statement s(impl_->db, std::string("SELECT ") + kRecordColumns + " FROM records ORDER BY id");
  std::vector<StoreProblem> out;
  for (bool more = true; more;) {
    std::vector<RawRow> rows;
    while (rows.size() < scan_group() && (more = s.step())) rows.push_back(read_row(s));
    const auto parsed = parse_rows(impl_->path, rows, allow_weak);
    for (size_t i = 0; i < rows.size(); ++i)
      if (!parsed[i].ok) out.push_back({rows[i].id, parsed[i].error});
  }
  return out;
}

}  // namespace spheremask
