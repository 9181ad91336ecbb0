#include "store/store_sqlite.hpp"

#include "spheremask/error.hpp"

namespace spheremask::internal::sqlite {

namespace {

// SQLite says only "database disk image is malformed"; its quick_check names the damaged pages.
std::string damaged_pages(sqlite3* db) {
  sqlite3_stmt* s = nullptr;
  std::string report;
  if (sqlite3_prepare_v2(db, "PRAGMA quick_check(3)", -1, &s, nullptr) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      const auto* line = sqlite3_column_text(s, 0);
      if (line) report += (report.empty() ? "" : "; ") + std::string(reinterpret_cast<const char*>(line));
    }
  }
  sqlite3_finalize(s);
  return report;
}

}  // namespace

void fail(sqlite3* db, const std::string& what) {
  if (!db) throw Error(ErrorCode::Store, what + ": out of memory");
  std::string detail = sqlite3_errmsg(db);
  if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_CORRUPT) {
    const std::string pages = damaged_pages(db);
    detail = "the store file is damaged (" + detail + (pages.empty() ? "" : "; quick_check: " + pages) + ")";
  }
  throw Error(ErrorCode::Store, what + ": " + detail);
}

Database::Database(const std::string& path, int flags) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw Error(ErrorCode::Store, path + ": cannot open store: " + detail);
  }
  sqlite3_extended_result_codes(db_, 1);
  // A reader arriving while an enrollment commits waits instead of failing with SQLITE_BUSY.
  sqlite3_busy_timeout(db_, 10000);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(const char* sql) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, std::string("'") + sql + "'");
}

int64_t Database::pragma_int(const char* name) {
  Statement s(*this, std::string("PRAGMA ") + name);
  if (!s.step()) fail(db_, std::string("PRAGMA ") + name + " returned nothing");
  return s.column_int(0);
}

std::string Database::pragma_text(const char* statement) {
  Statement s(*this, statement);
  if (!s.step()) fail(db_, std::string(statement) + " returned nothing");
  return s.column_text(0);
}

Statement::Statement(const Database& db, std::string_view sql) : db_(db.get()) {
  if (sqlite3_prepare_v2(db_, sql.data(), int(sql.size()), &stmt_, nullptr) != SQLITE_OK)
    fail(db_, "prepare '" + std::string(sql) + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::string_view text) {
  if (sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
    fail(db_, "bind text");
  return *this;
}

Statement& Statement::bind(int index, std::span<const uint8_t> blob) { return bind_blob(index, blob, SQLITE_TRANSIENT); }

Statement& Statement::bind_borrowed(int index, std::span<const uint8_t> blob) {
  return bind_blob(index, blob, SQLITE_STATIC);
}

Statement& Statement::bind_blob(int index, std::span<const uint8_t> blob, sqlite3_destructor_type lifetime) {
  // A zero-length blob must still be a blob, not NULL: bind_zeroblob for empty spans.
  const int rc = blob.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                              : sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), lifetime);
  if (rc != SQLITE_OK) fail(db_, "bind blob of " + std::to_string(blob.size()) + " bytes");
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind integer");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "step '" + std::string(sqlite3_sql(stmt_)) + "'");
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Statement::column_text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(stmt_, col))) : std::string();
}

std::span<const uint8_t> Statement::column_blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  return {p, p ? size_t(sqlite3_column_bytes(stmt_, col)) : 0};
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace spheremask::internal::sqlite
