// A private PostgreSQL cluster run from Debian's server binaries (package `postgresql`): what
// `concourse quickstart` uses without --postgres-* flags, and what integration tests start.
// It listens only on a unix socket in a directory it owns; as root it runs as the `postgres`
// system user, because PostgreSQL refuses to run as root.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "atc/db/database.hpp"
#include "core/log.hpp"

namespace concourse::atc::db {

struct EmbeddedPostgresOptions {
  std::string dir;       // holds pgdata/, socket/ and postgres.log; reused across restarts
  uint16_t port = 5432;  // names the socket file (.s.PGSQL.<port>); no TCP is opened
  std::string database = "atc";
  std::string user = "concourse";  // the cluster's superuser role
  // Off only for throw-away clusters: a crash with fsync off can corrupt the data.
  bool fsync = true;
  std::string bin_dir;  // default: the newest /usr/lib/postgresql/<ver>/bin
  std::chrono::seconds start_timeout = std::chrono::seconds(60);
  std::chrono::seconds stop_timeout = std::chrono::seconds(30);
};

class EmbeddedPostgres {
 public:
  EmbeddedPostgres(EmbeddedPostgresOptions options, concourse::log::Logger log);
  ~EmbeddedPostgres();  // stop()
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // initdb on first use, then starts the server, waits until it accepts connections and
  // creates the database. Throws core::Error (with the server log's tail) on failure.
  // The server gets SIGINT if the thread that called start() exits, so call it from a thread
  // that lives as long as the cluster should (main, a test's thread).
  void start();
  // Fast shutdown (SIGINT), SIGKILL after stop_timeout. No-op when not running.
  void stop();
  bool running() const { return pid_ > 0; }
  // CREATE DATABASE name unless it exists (name: [a-z_][a-z0-9_]*).
  void create_database(const std::string& name);

  // Connects to `database` as `user` over the socket.
  ConnParams conn_params() const;
  const EmbeddedPostgresOptions& options() const { return options_; }
  std::string socket_dir() const;
  std::string log_path() const;

  // The newest installed /usr/lib/postgresql/<ver>/bin; throws core::Error naming the package.
  static std::string find_bin_dir();

 private:
  void prepare_dirs();
  void initdb();
  void wait_ready();
  pid_t spawn(const std::vector<std::string>& argv);
  std::string log_tail() const;

  EmbeddedPostgresOptions options_;
  concourse::log::Logger log_;
  pid_t pid_ = -1;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool drop_privileges_ = false;
};

}  // namespace concourse::atc::db
