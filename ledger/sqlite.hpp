#pragma once
// A thin RAII layer over SQLite for the ledger's store: prepared statements only, every
// failure a value, and BEGIN IMMEDIATE transactions that roll back unless committed.
// Busy databases (other akt processes writing the same file) are waited for, with a
// busy timeout and a retry loop, so SQLITE_BUSY never reaches a caller before the
// deadline.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace akt::ledger::sqlite {

class Statement;

enum class OpenMode { read_write_create, read_write };

class Database {
public:
  // ":memory:" opens a private in-memory database. `busy_wait` bounds how long any
  // statement waits for another writer before failing with ErrorKind::unreachable.
  static Result<Database> open(const std::filesystem::path& path, OpenMode mode,
                               std::chrono::milliseconds busy_wait = std::chrono::seconds(60));

  // Runs SQL without parameters (DDL, pragmas); retries while busy.
  Status exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  // PRAGMA data_version: changes when another connection commits.
  Result<std::int64_t> data_version();
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  std::chrono::milliseconds busy_wait() const { return m_busy_wait; }
  const std::filesystem::path& path() const { return m_path; }
  sqlite3* handle() const { return m_db.get(); }

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;

private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  Database() = default;
  std::unique_ptr<sqlite3, Closer> m_db;
  std::filesystem::path m_path;
  std::chrono::milliseconds m_busy_wait{0};
};

class Statement {
public:
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_null(int index);
  // Binds an optional: null when empty.
  Statement& bind(int index, const std::optional<std::int64_t>& value);
  Statement& bind(int index, const std::optional<std::string>& text);

  // Advances: true when a row is available, false when done. Retries while busy.
  Result<bool> step();
  // Runs to completion (for writes) and resets.
  Status run();
  void reset();

  std::int64_t column_int64(int index) const;
  std::string column_text(int index) const;
  // The same without a copy: valid until the next step, reset or column call of this row.
  std::string_view column_view(int index) const;
  bool column_is_null(int index) const;

  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(sqlite3_stmt* stmt, sqlite3* db, std::chrono::milliseconds busy_wait)
      : m_stmt(stmt), m_db(db), m_busy_wait(busy_wait) {}
  std::unique_ptr<sqlite3_stmt, Finalizer> m_stmt;
  sqlite3* m_db = nullptr;
  std::chrono::milliseconds m_busy_wait{0};
};

// A write transaction (BEGIN IMMEDIATE: takes the write lock up front, so it can never
// fail later with a lock upgrade conflict). Rolls back on destruction unless committed.
class Transaction {
public:
  enum class Kind { immediate, deferred };
  static Result<Transaction> begin(Database& db, Kind kind = Kind::immediate);
  Status commit();
  ~Transaction();

  Transaction(Transaction&& other) noexcept : m_db(other.m_db), m_open(other.m_open) { other.m_open = false; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

private:
  explicit Transaction(Database& db) : m_db(&db) {}
  Database* m_db;
  bool m_open = false;
};

} // namespace akt::ledger::sqlite
