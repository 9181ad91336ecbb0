// RAII over the SQLite C API for the store: one owner per sqlite3 handle and statement, every failure
// thrown as Error{Store} with sqlite3_errmsg. Destructors never throw.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace spheremask::internal::sqlite {

[[noreturn]] void fail(sqlite3* db, const std::string& what);

class Database {
 public:
  Database(const std::string& path, int flags);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* get() const { return db_; }
  void exec(const char* sql);  // statements without results (pragmas, DDL, BEGIN/COMMIT)
  int64_t pragma_int(const char* name);
  std::string pragma_text(const char* statement);

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based. Text and blobs are copied by SQLite (SQLITE_TRANSIENT), so a temporary
  // may be bound; bind_borrowed skips the copy for large blobs, which must then outlive step().
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::span<const uint8_t> blob);
  Statement& bind_borrowed(int index, std::span<const uint8_t> blob);
  Statement& bind(int index, int64_t value);
  // true while a row is available; false when done.
  bool step();
  void reset();  // clears bindings too

  int64_t column_int(int col) const;
  std::string column_text(int col) const;
  std::span<const uint8_t> column_blob(int col) const;  // valid until the next step/reset

 private:
  Statement& bind_blob(int index, std::span<const uint8_t> blob, sqlite3_destructor_type lifetime);

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back by the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace spheremask::internal::sqlite
