// The ATC's PostgreSQL access: a small libpq connection pool, prepared statements, transactions
// that retry on serialization failure, and advisory locks so periodic work runs once across
// several web nodes. Every web node shares one database; nothing else holds state.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"

namespace concourse::atc::db {

// Connection settings named as Concourse's --postgres-* flags.
struct ConnParams {
  std::string host = "127.0.0.1";
  uint16_t port = 5432;
  std::string socket;  // unix socket directory; wins over host/port when set
  std::string user;
  std::string password;
  std::string database = "atc";
  std::string sslmode = "disable";
  std::chrono::nanoseconds connect_timeout = std::chrono::minutes(5);
  int max_connections = 8;
  // How long a caller waits for a free pooled connection before CC_E_UNAVAILABLE.
  std::chrono::nanoseconds pool_wait_timeout = std::chrono::seconds(30);
  std::string ca_cert, client_cert, client_key;  // --postgres-ca-cert/-client-cert/-client-key

  std::string conninfo() const;  // libpq keyword/value string, values quoted
};

// One result set, text format, copied out of the PGresult.
class Rows {
 public:
  size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  bool is_null(size_t row, size_t col) const;
  const std::string& get(size_t row, size_t col) const;  // "" when NULL
  int64_t get_int(size_t row, size_t col) const;
  bool get_bool(size_t row, size_t col) const;
  size_t affected() const { return affected_; }  // rows touched by INSERT/UPDATE/DELETE

 private:
  friend class Connection;
  std::vector<std::vector<std::optional<std::string>>> rows_;
  size_t affected_ = 0;
};

// A query parameter: text or NULL.
using Param = std::optional<std::string>;

// A borrowed pooled connection (or the transaction's connection). Not thread-safe.
class Connection {
 public:
  virtual ~Connection() = default;
  // Runs one statement with $1..$n parameters; statements are prepared once per connection by
  // their text. Throws core::Error(CC_E_CONFLICT) on unique violation, CC_E_UNAVAILABLE when the
  // server is gone, CC_E_INTERNAL otherwise (message carries PostgreSQL's).
  virtual Rows exec(const std::string& sql, const std::vector<Param>& params = {}) = 0;

 protected:
  // Lets implementations fill a Rows (whose fields only Connection may touch).
  static Rows make_rows(std::vector<std::vector<std::optional<std::string>>> rows, size_t affected);
};

class Database {
 public:
  // Connects (retrying until connect_timeout), then applies pending migrations under an
  // advisory lock so concurrent web nodes migrate once.
  static std::unique_ptr<Database> open(const ConnParams& params, concourse::log::Logger log,
                                        bool migrate = true);
  virtual ~Database() = default;

  // Runs fn in a SERIALIZABLE-safe transaction (READ COMMITTED by default, SERIALIZABLE when
  // asked), retrying on serialization failure / deadlock up to a few times. fn may run more
  // than once; it must not have side effects outside the database.
  virtual void transaction(const std::function<void(Connection&)>& fn,
                           bool serializable = false) = 0;
  // A single statement outside an explicit transaction.
  virtual Rows exec(const std::string& sql, const std::vector<Param>& params = {}) = 0;

  // Runs fn only if this process wins the session-level advisory lock `lock_id` right now;
  // returns false (without waiting) when another web node holds it.
  virtual bool with_advisory_lock(int64_t lock_id, const std::function<void()>& fn) = 0;

  // Migrations: versions are ascending integers; version 0 = empty schema.
  virtual int current_version() = 0;
  virtual int latest_version() const = 0;
  virtual void migrate_to(int version) = 0;  // up or down
};

// Advisory lock ids of the periodic jobs (distinct across the cluster).
enum : int64_t {
  kLockMigrations = 0x6363'0001,
  kLockWorkerCollector = 0x6363'0002,
  kLockContainerCollector = 0x6363'0003,
  kLockVolumeCollector = 0x6363'0004,
};

}  // namespace concourse::atc::db
