// Runs initdb and postgres as children: fork, drop to the `postgres` user when we are root,
// exec. Between fork and exec only async-signal-safe calls, since the parent may have threads.
#include "atc/db/embedded_postgres.hpp"

#include <concourse/status.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "core/error.hpp"

namespace concourse::atc::db {
namespace {

namespace fs = std::filesystem;
using core::Error;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxSocketPath = 107;  // sizeof(sockaddr_un::sun_path) - 1

void write_str(int fd, const char* s) {
  ssize_t ignored = ::write(fd, s, strlen(s));
  (void)ignored;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct PgConnFree {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct PgResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

std::string EmbeddedPostgres::find_bin_dir() {
  const fs::path root = "/usr/lib/postgresql";
  std::error_code ec;
  int best = -1;
  std::string found;
  for (const auto& e : fs::directory_iterator(root, ec)) {
    const std::string ver = e.path().filename().string();
    if (ver.empty() || !std::all_of(ver.begin(), ver.end(), ::isdigit))
      continue;
    fs::path bin = e.path() / "bin";
    if (access((bin / "postgres").c_str(), X_OK) != 0 ||
        access((bin / "initdb").c_str(), X_OK) != 0)
      continue;
    if (std::stoi(ver) > best) {
      best = std::stoi(ver);
      found = bin.string();
    }
  }
  if (found.empty())
    throw Error(CC_E_UNAVAILABLE,
                "embedded postgres: no PostgreSQL server binaries in /usr/lib/postgresql/<version>"
                "/bin; install the Debian package `postgresql` or pass --postgres-* flags");
  return found;
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options, concourse::log::Logger log)
    : options_(std::move(options)), log_(std::move(log)) {
  if (options_.dir.empty())
    throw Error(CC_E_INVALID, "embedded postgres: no directory given");
  options_.dir = fs::absolute(options_.dir).lexically_normal().string();
  if (options_.bin_dir.empty())
    options_.bin_dir = find_bin_dir();
  if (socket_dir().size() + std::string("/.s.PGSQL.65535").size() > kMaxSocketPath)
    throw Error(CC_E_INVALID, "embedded postgres: socket path under " + socket_dir() +
                                  " is longer than a unix socket allows; use a shorter directory");
}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    stop();
  } catch (const std::exception& e) {
    log_.error("postgres-stop-failed", {{"error", e.what()}});
  }
}

std::string EmbeddedPostgres::socket_dir() const {
  return options_.dir + "/socket";
}
std::string EmbeddedPostgres::log_path() const {
  return options_.dir + "/postgres.log";
}

ConnParams EmbeddedPostgres::conn_params() const {
  ConnParams p;
  p.socket = socket_dir();
  p.port = options_.port;
  p.user = options_.user;
  p.database = options_.database;
  p.connect_timeout = std::chrono::seconds(10);
  return p;
}

void EmbeddedPostgres::prepare_dirs() {
  fs::create_directories(options_.dir);
  fs::create_directories(socket_dir());
  ::chmod(options_.dir.c_str(), 0700);
  ::chmod(socket_dir().c_str(), 0700);
  int fd = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Error(CC_E_PERMISSION,
                "embedded postgres: cannot open " + log_path() + ": " + std::strerror(errno));
  ::close(fd);
  if (geteuid() != 0)
    return;
  passwd pw{};
  passwd* res = nullptr;
  std::vector<char> buf(16384);
  if (getpwnam_r("postgres", &pw, buf.data(), buf.size(), &res) != 0 || !res)
    throw Error(CC_E_UNAVAILABLE,
                "embedded postgres: running as root needs the `postgres` system user to run the "
                "server as; install the Debian package `postgresql`");
  uid_ = pw.pw_uid;
  gid_ = pw.pw_gid;
  drop_privileges_ = true;
  for (const auto& p : {options_.dir, socket_dir(), log_path()}) {
    if (::chown(p.c_str(), uid_, gid_) != 0)
      throw Error(CC_E_PERMISSION, "embedded postgres: chown " + p + ": " + std::strerror(errno));
  }
}

pid_t EmbeddedPostgres::spawn(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  static const char* env[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", nullptr};
  const std::string cd_error = "embedded postgres: cannot enter " + options_.dir +
                               " as the server's user; make its parent directories searchable "
                               "(chmod o+x) or choose another directory\n";
  const std::string exec_error = "embedded postgres: cannot execute " + args[0] + "\n";
  int log_fd = ::open(log_path().c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (log_fd < 0)
    throw Error(CC_E_PERMISSION, "embedded postgres: cannot open " + log_path());
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    ::close(log_fd);
    throw Error(CC_E_INTERNAL, std::string("embedded postgres: fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2})
      sigaction(sig, &dfl, nullptr);
    // Its own session: a Ctrl-C at the terminal reaches us, and we stop the server in order.
    setsid();
    int null_fd = ::open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    if (drop_privileges_ && (setgroups(0, nullptr) != 0 || setgid(gid_) != 0 || setuid(uid_) != 0))
      _exit(125);
    // Set after setuid, which clears it. If we die without stopping it, so does the server.
    prctl(PR_SET_PDEATHSIG, SIGINT);
    if (getppid() != parent)
      _exit(1);
    if (chdir(options_.dir.c_str()) != 0) {
      write_str(2, cd_error.c_str());
      _exit(126);
    }
    close_range(3, ~0U, 0);
    execve(argv[0], argv.data(), const_cast<char* const*>(env));
    write_str(2, exec_error.c_str());
    _exit(127);
  }
  ::close(log_fd);
  return pid;
}

std::string EmbeddedPostgres::log_tail() const {
  std::ifstream in(log_path());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

void EmbeddedPostgres::initdb() {
  const std::string pgdata = options_.dir + "/pgdata";
  if (fs::exists(pgdata + "/PG_VERSION"))
    return;
  std::vector<std::string> args = {options_.bin_dir + "/initdb",
                                   "-D",
                                   pgdata,
                                   "-U",
                                   options_.user,
                                   "--auth=trust",
                                   "--encoding=UTF8",
                                   "--locale=C",
                                   "--no-instructions"};
  if (!options_.fsync)
    args.push_back("--no-sync");
  log_.info("postgres-initdb", {{"dir", pgdata}});
  int rc = wait_exit(spawn(args));
  if (rc != 0)
    throw Error(CC_E_INTERNAL,
                "embedded postgres: initdb exited with " + std::to_string(rc) + ":\n" + log_tail());
}

void EmbeddedPostgres::start() {
  if (running())
    return;
  prepare_dirs();
  initdb();
  std::vector<std::string> args = {options_.bin_dir + "/postgres",
                                   "-D",
                                   options_.dir + "/pgdata",
                                   "-k",
                                   socket_dir(),
                                   "-p",
                                   std::to_string(options_.port),
                                   "-c",
                                   "listen_addresses=",
                                   "-c",
                                   "unix_socket_permissions=0700",
                                   "-c",
                                   "max_connections=200"};
  if (!options_.fsync) {
    for (const char* s : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      args.push_back("-c");
      args.push_back(s);
    }
  }
  auto started = Clock::now();
  pid_ = spawn(args);
  try {
    wait_ready();
    create_database(options_.database);
  } catch (...) {
    stop();
    throw;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  log_.info("postgres-started", {{"pid", std::to_string(pid_)},
                                 {"socket_dir", socket_dir()},
                                 {"startup_ms", std::to_string(ms.count())}});
}

void EmbeddedPostgres::wait_ready() {
  ConnParams p = conn_params();
  p.database = "postgres";
  const std::string conninfo = p.conninfo();
  auto deadline = Clock::now() + options_.start_timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw Error(CC_E_UNAVAILABLE,
                  "embedded postgres: server exited during start-up:\n" + log_tail());
    }
    PGPing ping = PQping(conninfo.c_str());
    if (ping == PQPING_OK)
      return;
    if (ping == PQPING_NO_ATTEMPT)
      throw Error(CC_E_INVALID, "embedded postgres: bad connection parameters " + conninfo);
    if (Clock::now() > deadline)
      throw Error(CC_E_TIMEOUT, "embedded postgres: not accepting connections after " +
                                    std::to_string(options_.start_timeout.count()) + "s:\n" +
                                    log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void EmbeddedPostgres::create_database(const std::string& name) {
  static const std::regex valid("[a-z_][a-z0-9_]{0,62}");
  if (!std::regex_match(name, valid))
    throw Error(CC_E_INVALID, "embedded postgres: invalid database name " + name);
  ConnParams p = conn_params();
  p.database = "postgres";
  std::unique_ptr<PGconn, PgConnFree> conn(PQconnectdb(p.conninfo().c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK)
    throw Error(CC_E_UNAVAILABLE, std::string("embedded postgres: ") + PQerrorMessage(conn.get()));
  const char* values[] = {name.c_str()};
  std::unique_ptr<PGresult, PgResultFree> exists(
      PQexecParams(conn.get(), "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr, values,
                   nullptr, nullptr, 0));
  if (PQresultStatus(exists.get()) != PGRES_TUPLES_OK)
    throw Error(CC_E_INTERNAL, std::string("embedded postgres: ") + PQerrorMessage(conn.get()));
  if (PQntuples(exists.get()) > 0)
    return;
  // CREATE DATABASE takes no parameters; the name is validated above and quoted here.
  char* ident = PQescapeIdentifier(conn.get(), name.c_str(), name.size());
  std::string sql = std::string("CREATE DATABASE ") + ident;
  PQfreemem(ident);
  std::unique_ptr<PGresult, PgResultFree> res(PQexec(conn.get(), sql.c_str()));
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK)
    throw Error(CC_E_INTERNAL, std::string("embedded postgres: ") + PQerrorMessage(conn.get()));
}

void EmbeddedPostgres::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGINT);  // fast shutdown: abort transactions, checkpoint, exit
  auto deadline = Clock::now() + options_.stop_timeout;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      log_.warn("postgres-stop-timeout", {{"pid", std::to_string(pid_)}});
      ::kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  log_.info("postgres-stopped", {{"pid", std::to_string(pid_)}});
  pid_ = -1;
}

}  // namespace concourse::atc::db
