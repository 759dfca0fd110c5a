#include "ledger/sqlite.hpp"

#include <sqlite3.h>

#include <random>
#include <thread>

namespace akt::ledger::sqlite {
namespace {

bool is_busy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

Error db_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  ErrorKind kind = is_busy(rc) ? ErrorKind::unreachable : ErrorKind::failure;
  if (is_busy(rc)) message += " (the ledger file stayed locked by another process; try again)";
  return make_error(kind, std::move(message));
}

// Retries `attempt` while SQLite reports busy, with jittered backoff, until `budget` is
// spent. The busy timeout already waits inside SQLite; this covers the cases where
// SQLite returns BUSY without calling the busy handler (WAL recovery, snapshot races).
template <typename F>
int with_retry(std::chrono::milliseconds budget, F&& attempt) {
  int rc = attempt();
  if (!is_busy(rc)) return rc;  // the common case reads no clock
  auto deadline = std::chrono::steady_clock::now() + budget;
  std::minstd_rand jitter(static_cast<unsigned>(
      std::chrono::steady_clock::now().time_since_epoch().count()));
  int delay_us = 200;
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline) return rc;
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us + static_cast<int>(jitter() % 500)));
    delay_us = std::min(delay_us * 2, 20000);
    rc = attempt();
    if (!is_busy(rc)) return rc;
  }
}

} // namespace

void Database::Closer::operator()(sqlite3* db) const { sqlite3_close_v2(db); }
void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Result<Database> Database::open(const std::filesystem::path& path, OpenMode mode,
                                std::chrono::milliseconds busy_wait) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::read_write_create) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db;
  db.m_db.reset(raw);
  db.m_path = path;
  db.m_busy_wait = busy_wait;
  if (rc != SQLITE_OK) {
    ErrorKind kind = (rc & 0xff) == SQLITE_CANTOPEN ? ErrorKind::not_found : ErrorKind::failure;
    Error e = make_error(kind, "cannot open ledger " + path.string() + ": " +
                                   (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    return e;
  }
  sqlite3_extended_result_codes(raw, 1);
  // Per-statement waits stay short so the retry loop, not SQLite, owns the deadline.
  sqlite3_busy_timeout(raw, static_cast<int>(std::min<std::int64_t>(busy_wait.count(), 5000)));
  return db;
}

Status Database::exec(std::string_view sql) {
  std::string text(sql);
  int rc = with_retry(m_busy_wait, [&] { return sqlite3_exec(m_db.get(), text.c_str(), nullptr, nullptr, nullptr); });
  if (rc != SQLITE_OK) return db_error(m_db.get(), rc, "ledger database");
  return ok();
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = with_retry(m_busy_wait, [&] {
    return sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  });
  if (rc != SQLITE_OK) return db_error(m_db.get(), rc, "ledger database: prepare");
  return Statement(stmt, m_db.get(), m_busy_wait);
}

Result<std::int64_t> Database::data_version() {
  Result<Statement> stmt = prepare("PRAGMA data_version");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->step();
  if (!row) return row.error();
  if (!*row) return make_error(ErrorKind::failure, "PRAGMA data_version returned nothing");
  return stmt->column_int64(0);
}

std::int64_t Database::changes() const { return sqlite3_changes64(m_db.get()); }
std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db.get()); }

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(m_stmt.get(), index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt.get(), index);
  return *this;
}

Statement& Statement::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Result<bool> Statement::step() {
  int rc = with_retry(m_busy_wait, [&] {
    int r = sqlite3_step(m_stmt.get());
    if (is_busy(r)) sqlite3_reset(m_stmt.get());
    return r;
  });
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = db_error(m_db, rc, "ledger database");
  sqlite3_reset(m_stmt.get());
  return e;
}

Status Statement::run() {
  Result<bool> r = step();
  reset();
  if (!r) return r.error();
  return ok();
}

void Statement::reset() {
  sqlite3_reset(m_stmt.get());
  sqlite3_clear_bindings(m_stmt.get());
}

std::int64_t Statement::column_int64(int index) const { return sqlite3_column_int64(m_stmt.get(), index); }

std::string Statement::column_text(int index) const {
  const unsigned char* text = sqlite3_column_text(m_stmt.get(), index);
  int size = sqlite3_column_bytes(m_stmt.get(), index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)) : std::string();
}

std::string_view Statement::column_view(int index) const {
  const unsigned char* text = sqlite3_column_text(m_stmt.get(), index);
  int size = sqlite3_column_bytes(m_stmt.get(), index);
  return text ? std::string_view(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)) : std::string_view();
}

bool Statement::column_is_null(int index) const { return sqlite3_column_type(m_stmt.get(), index) == SQLITE_NULL; }

Result<Transaction> Transaction::begin(Database& db, Kind kind) {
  Transaction tx(db);
  Status begun = db.exec(kind == Kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  if (!begun) return begun.error();
  tx.m_open = true;
  return tx;
}

Status Transaction::commit() {
  if (!m_open) return make_error(ErrorKind::failure, "commit of a transaction that is not open");
  Status done = m_db->exec("COMMIT");
  if (!done) return done;  // still open: the destructor rolls back
  m_open = false;
  return ok();
}

Transaction::~Transaction() {
  if (m_open) sqlite3_exec(m_db->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

} // namespace akt::ledger::sqlite
