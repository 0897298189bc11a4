// libpq underneath Database: a bounded pool of connections, statements prepared once per
// connection, transactions that retry when PostgreSQL asks them to, and schema migrations.
#include "atc/db/database.hpp"

#include <concourse/status.h>
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "atc/db/migrations.hpp"
#include "core/error.hpp"

namespace concourse::atc::db {

namespace {

using Clock = std::chrono::steady_clock;
using core::Error;

// Serialization failure (40001) and deadlock (40P01): the transaction may simply be run again.
class RetryableError : public Error {
 public:
  explicit RetryableError(std::string message) : Error(CC_E_TRY_AGAIN, std::move(message)) {}
};

constexpr int kMaxTransactionAttempts = 8;

std::string quote_conninfo(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

bool connection_lost_state(const std::string& state) {
  // Class 08 = connection exception; 57P01-03 = the server is shutting down or starting.
  return state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03";
}

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

class PgConnection final : public Connection {
 public:
  PgConnection(PGconn* conn, uint64_t generation) : conn_(conn), generation_(generation) {}
  ~PgConnection() override { PQfinish(conn_); }
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  Rows exec(const std::string& sql, const std::vector<Param>& params = {}) override {
    const std::string& name = prepared(sql);
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params)
      values.push_back(p ? p->c_str() : nullptr);
    Result res(PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                              nullptr, nullptr, 0));
    return collect(res.get());
  }

  // Simple-query protocol: several statements, no parameters (migrations, BEGIN/COMMIT).
  void exec_script(const std::string& sql) {
    Result res(PQexec(conn_, sql.c_str()));
    collect(res.get());
  }

  // A server that went away closes our socket (fast shutdown sends 57P01 first), so a readable
  // idle socket means the connection is dead; checking costs no round trip.
  bool looks_alive() {
    if (broken_ || PQstatus(conn_) != CONNECTION_OK)
      return false;
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    if (poll(&pfd, 1, 0) == 0)
      return true;
    return false;
  }

  bool reusable() const {
    return !broken_ && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }
  void discard() { broken_ = true; }
  uint64_t generation() const { return generation_; }

 private:
  const std::string& prepared(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end())
      return it->second;
    std::string name = "s" + std::to_string(statements_.size() + 1);
    Result res(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
    collect(res.get());
    return statements_.emplace(sql, std::move(name)).first->second;
  }

  Rows collect(PGresult* res) {
    auto status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
      raise(res);
    std::vector<std::vector<std::optional<std::string>>> rows(static_cast<size_t>(PQntuples(res)));
    int ncols = PQnfields(res);
    for (size_t r = 0; r < rows.size(); ++r) {
      rows[r].reserve(static_cast<size_t>(ncols));
      for (int c = 0; c < ncols; ++c) {
        int ri = static_cast<int>(r);
        if (PQgetisnull(res, ri, c))
          rows[r].emplace_back(std::nullopt);
        else
          rows[r].emplace_back(
              std::string(PQgetvalue(res, ri, c), static_cast<size_t>(PQgetlength(res, ri, c))));
      }
    }
    const char* affected = PQcmdTuples(res);
    return make_rows(std::move(rows),
                     affected && *affected ? std::stoul(std::string(affected)) : 0);
  }

  [[noreturn]] void raise(PGresult* res) {
    const char* st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    std::string state = st ? st : "";
    std::string msg = trimmed(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
    if (msg.empty())
      msg = trimmed(PQerrorMessage(conn_));
    if (PQstatus(conn_) == CONNECTION_BAD || connection_lost_state(state)) {
      broken_ = true;
      throw Error(CC_E_UNAVAILABLE, "database unavailable: " + msg);
    }
    if (state == "23505")
      throw Error(CC_E_CONFLICT, "database: " + msg);
    if (state == "23503" || state == "23514" || state == "22P02")
      throw Error(CC_E_INVALID, "database: " + msg);
    if (state == "40001" || state == "40P01")
      throw RetryableError("database: " + msg);
    throw Error(CC_E_INTERNAL, "database: " + msg + (state.empty() ? "" : " (" + state + ")"));
  }

  PGconn* conn_;
  uint64_t generation_;
  std::unordered_map<std::string, std::string> statements_;
  bool broken_ = false;
};

class Pool {
 public:
  Pool(ConnParams params, log::Logger log)
      : params_(std::move(params)),
        conninfo_(params_.conninfo()),
        max_(std::max(2, params_.max_connections)),
        log_(std::move(log)) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<PgConnection> conn) : pool_(pool), conn_(std::move(conn)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (conn_)
        pool_->give_back(std::move(conn_));
    }
    PgConnection* operator->() { return conn_.get(); }
    PgConnection& operator*() { return *conn_; }

   private:
    Pool* pool_;
    std::unique_ptr<PgConnection> conn_;
  };

  Lease borrow() {
    auto deadline = Clock::now() + params_.pool_wait_timeout;
    std::unique_lock lock(mu_);
    for (;;) {
      if (!cv_.wait_until(lock, deadline, [&] { return !idle_.empty() || open_ < max_; })) {
        throw Error(CC_E_UNAVAILABLE,
                    "database: no free connection within " +
                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           params_.pool_wait_timeout)
                                           .count()) +
                        "ms (pool of " + std::to_string(max_) + ")");
      }
      if (idle_.empty())
        break;
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (conn->generation() == generation_ && conn->looks_alive())
        return Lease(this, std::move(conn));
      --open_;
      lock.unlock();
      conn.reset();  // PQfinish outside the lock
      lock.lock();
    }
    ++open_;  // reserve the slot before connecting outside the lock
    uint64_t gen = generation_;
    lock.unlock();
    try {
      return Lease(this, connect(gen));
    } catch (...) {
      lock.lock();
      --open_;
      cv_.notify_one();
      throw;
    }
  }

  // Connections prepared against an older schema would fail with "cached plan must not change
  // result type"; a new generation makes every pooled connection reconnect.
  void invalidate() {
    std::vector<std::unique_ptr<PgConnection>> dropped;
    {
      std::lock_guard lock(mu_);
      ++generation_;
      open_ -= static_cast<int>(idle_.size());
      dropped.swap(idle_);
    }
    cv_.notify_all();
  }

  const ConnParams& params() const { return params_; }

 private:
  std::unique_ptr<PgConnection> connect(uint64_t gen) {
    PGconn* c = PQconnectdb(conninfo_.c_str());
    if (!c)
      throw Error(CC_E_UNAVAILABLE, "database unavailable: out of memory");
    if (PQstatus(c) != CONNECTION_OK) {
      std::string msg = trimmed(PQerrorMessage(c));
      PQfinish(c);
      throw Error(CC_E_UNAVAILABLE, "database unavailable: " + msg);
    }
    // NOTICEs ("relation already exists, skipping") would go straight to stderr otherwise.
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    return std::make_unique<PgConnection>(c, gen);
  }

  void give_back(std::unique_ptr<PgConnection> conn) {
    std::unique_lock lock(mu_);
    if (conn->reusable() && conn->generation() == generation_) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
      lock.unlock();
      conn.reset();
      lock.lock();
    }
    cv_.notify_one();
  }

  ConnParams params_;
  std::string conninfo_;
  int max_;
  log::Logger log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
  uint64_t generation_ = 0;
};

void rollback_quietly(PgConnection& c) {
  try {
    c.exec_script("ROLLBACK");
  } catch (const std::exception&) {
    c.discard();  // a connection in an unknown transaction state must not be reused
  }
}

class PgDatabase final : public Database {
 public:
  PgDatabase(const ConnParams& params, log::Logger log) : pool_(params, log), log_(log) {}

  void wait_for_server() {
    auto deadline = Clock::now() + pool_.params().connect_timeout;
    auto delay = std::chrono::milliseconds(100);
    for (bool logged = false;;) {
      try {
        pool_.borrow();
        return;
      } catch (const Error& e) {
        if (e.code() != CC_E_UNAVAILABLE || Clock::now() + delay > deadline)
          throw;
        if (!logged)
          log_.warn("waiting-for-database", {{"error", e.what()}});
        logged = true;
      }
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
    }
  }

  Rows exec(const std::string& sql, const std::vector<Param>& params) override {
    auto c = pool_.borrow();
    return c->exec(sql, params);
  }

  void transaction(const std::function<void(Connection&)>& fn, bool serializable) override {
    std::minstd_rand jitter(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
      auto c = pool_.borrow();
      try {
        c->exec_script(serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN");
        fn(*c);
        c->exec_script("COMMIT");
        return;
      } catch (const RetryableError& e) {
        rollback_quietly(*c);
        if (attempt >= kMaxTransactionAttempts)
          throw Error(CC_E_TRY_AGAIN,
                      std::string(e.what()) + " (after " + std::to_string(attempt) + " attempts)");
        log_.debug("transaction-retry",
                   {{"attempt", std::to_string(attempt)}, {"error", e.what()}});
      } catch (...) {
        rollback_quietly(*c);
        throw;
      }
      // Back off with jitter so two contending transactions stop colliding.
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt * 5 + jitter() % 10));
    }
  }

  bool with_advisory_lock(int64_t lock_id, const std::function<void()>& fn) override {
    auto c = pool_.borrow();
    std::vector<Param> id{std::to_string(lock_id)};
    if (!c->exec("SELECT pg_try_advisory_lock($1::bigint)", id).get_bool(0, 0))
      return false;
    try {
      fn();
    } catch (...) {
      unlock_quietly(*c, lock_id);
      throw;
    }
    unlock_quietly(*c, lock_id);
    return true;
  }

  int current_version() override {
    auto c = pool_.borrow();
    return version_on(*c);
  }

  int latest_version() const override { return migrations().back().version; }

  void migrate_to(int version) override {
    if (version < 0 || version > latest_version())
      throw Error(CC_E_INVALID, "migrate: no schema version " + std::to_string(version) +
                                    " (supported: 0.." + std::to_string(latest_version()) + ")");
    migrate_locked([&](int) { return version; });
  }

  // At start-up: only forward, and never below what a newer web node already applied.
  void migrate_to_latest() {
    migrate_locked([&](int current) {
      if (current > latest_version())
        throw Error(CC_E_UNSUPPORTED, "database schema version " + std::to_string(current) +
                                          " is newer than this build's " +
                                          std::to_string(latest_version()) +
                                          "; upgrade concourse or run concourse migrate");
      return latest_version();
    });
  }

 private:
  static void unlock_quietly(PgConnection& c, int64_t lock_id) {
    try {
      c.exec("SELECT pg_advisory_unlock($1::bigint)", {std::to_string(lock_id)});
    } catch (const std::exception&) {
      c.discard();  // closing the session releases the lock
    }
  }

  static int version_on(PgConnection& c) {
    if (c.exec("SELECT to_regclass('migrations') IS NOT NULL").get_bool(0, 0) == false)
      return 0;
    return static_cast<int>(
        c.exec("SELECT COALESCE(max(version), 0) FROM migrations").get_int(0, 0));
  }

  void migrate_locked(const std::function<int(int)>& target_of) {
    auto c = pool_.borrow();
    // Blocking (not try-) lock: a second web node starting at the same time waits, then finds
    // nothing left to do.
    c->exec("SELECT pg_advisory_lock($1::bigint)", {std::to_string(kLockMigrations)});
    try {
      c->exec_script(
          "CREATE TABLE IF NOT EXISTS migrations (version integer PRIMARY KEY, name text NOT "
          "NULL, applied_at timestamptz NOT NULL DEFAULT now())");
      int current = version_on(*c);
      int target = target_of(current);
      for (const auto& m : migrations()) {
        if (m.version > current && m.version <= target)
          step(*c, m, true);
      }
      for (auto it = migrations().rbegin(); it != migrations().rend(); ++it) {
        if (it->version <= current && it->version > target)
          step(*c, *it, false);
      }
    } catch (...) {
      unlock_quietly(*c, kLockMigrations);
      pool_.invalidate();
      throw;
    }
    unlock_quietly(*c, kLockMigrations);
    c->discard();
    pool_.invalidate();
  }

  void step(PgConnection& c, const Migration& m, bool up) {
    c.exec_script("BEGIN");
    try {
      c.exec_script(std::string(up ? m.up : m.down));
      if (up)
        c.exec("INSERT INTO migrations (version, name) VALUES ($1::integer, $2)",
               {std::to_string(m.version), std::string(m.name)});
      else
        c.exec("DELETE FROM migrations WHERE version = $1::integer", {std::to_string(m.version)});
      c.exec_script("COMMIT");
    } catch (...) {
      rollback_quietly(c);
      throw;
    }
    log_.info(up ? "migrated-up" : "migrated-down",
              {{"version", std::to_string(m.version)}, {"name", std::string(m.name)}});
  }

  Pool pool_;
  log::Logger log_;
};

}  // namespace

std::string ConnParams::conninfo() const {
  std::string out;
  auto add = [&](const char* key, const std::string& value) {
    if (value.empty())
      return;
    if (!out.empty())
      out += ' ';
    out += key;
    out += '=';
    out += quote_conninfo(value);
  };
  add("host", socket.empty() ? host : socket);
  add("port", std::to_string(port));
  add("user", user);
  add("password", password);
  add("dbname", database);
  add("sslmode", sslmode);
  add("sslrootcert", ca_cert);
  add("sslcert", client_cert);
  add("sslkey", client_key);
  // Per attempt; Database::open keeps retrying until the whole connect_timeout has passed.
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(connect_timeout).count();
  add("connect_timeout", std::to_string(std::clamp<int64_t>(secs, 2, 10)));
  add("application_name", "concourse");
  return out;
}

bool Rows::is_null(size_t row, size_t col) const {
  return !rows_.at(row).at(col).has_value();
}

const std::string& Rows::get(size_t row, size_t col) const {
  static const std::string empty;
  const auto& v = rows_.at(row).at(col);
  return v ? *v : empty;
}

int64_t Rows::get_int(size_t row, size_t col) const {
  const std::string& v = get(row, col);
  if (v.empty())
    return 0;
  try {
    return std::stoll(v);
  } catch (const std::exception&) {
    throw Error(CC_E_INTERNAL,
                "database: column " + std::to_string(col) + " is not an integer: " + v);
  }
}

bool Rows::get_bool(size_t row, size_t col) const {
  const std::string& v = get(row, col);
  return v == "t" || v == "true";
}

Rows Connection::make_rows(std::vector<std::vector<std::optional<std::string>>> rows,
                           size_t affected) {
  Rows out;
  out.rows_ = std::move(rows);
  out.affected_ = affected;
  return out;
}

std::unique_ptr<Database> Database::open(const ConnParams& params, log::Logger log, bool migrate) {
  auto db = std::make_unique<PgDatabase>(params, log);
  db->wait_for_server();
  if (migrate)
    db->migrate_to_latest();
  return db;
}

}  // namespace concourse::atc::db
