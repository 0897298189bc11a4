// Guardian::run: a process is a `runc exec` child of the worker. Its stdio (pipes, or a pty
// runc proxies to the container's own) are the fds handed to the host; its exit status is the
// process's (runc reports 128+N for signal N).
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "guardian.hpp"
#include "process_spec.hpp"
#include "spawn.hpp"

extern char** environ;

namespace concourse::guardian {
namespace fs = std::filesystem;

namespace {

class GuardianProcess final : public sdk::Process {
 public:
  explicit GuardianProcess(std::shared_ptr<ProcState> st) : st_(std::move(st)) {}
  void signal(int32_t sig) override {
    std::lock_guard lock(st_->mu);
    if (st_->exited)
      return;
    if (sig != CC_SIGNAL_KILL) {
      ::kill(st_->pid, SIGTERM);  // `runc exec` forwards it to the process
      return;
    }
    // SIGKILL cannot be forwarded: kill the container process itself; runc exec then exits.
    pid_t target = 0;
    std::ifstream(st_->pid_file) >> target;
    ::kill(target > 0 ? target : st_->pid, SIGKILL);
  }
  void resize(cc_tty_size size) override {
    if (st_->tty_fd < 0)
      throw sdk::Error(CC_E_INVALID, "process has no terminal");
    // runc sees SIGWINCH on its terminal and resizes the container's pty to match.
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(size.columns);
    ws.ws_row = static_cast<unsigned short>(size.rows);
    ::ioctl(st_->tty_fd, TIOCSWINSZ, &ws);
  }
  int32_t wait(const sdk::Call& call) override {
    std::unique_lock lock(st_->mu);
    while (!st_->cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return st_->exited; })) {
      if (call.cancelled())
        throw sdk::Error(CC_E_CANCELLED, "wait cancelled");
    }
    return st_->status;
  }

 private:
  std::shared_ptr<ProcState> st_;
};

std::vector<std::string> host_env() {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e)
    out.emplace_back(*e);
  return out;
}

// The container's capabilities and no_new_privileges, as its config.json has them.
nlohmann::json container_process(const std::string& bundle) {
  std::ifstream in(fs::path(bundle) / "config.json");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.contains("process"))
    throw sdk::Error(CC_E_INTERNAL, "guardian: unreadable config.json in " + bundle);
  return j["process"];
}

void ensure_dir(const std::string& rootfs, const std::string& dir, const User& u) {
  std::string host_dir = inside(rootfs, dir);
  if (fs::exists(host_dir))
    return;
  fs::create_directories(host_dir);
  (void)!::chown(host_dir.c_str(), u.uid, u.gid);
}

}  // namespace

void Guardian::watch(const std::shared_ptr<Container>& c, const std::shared_ptr<ProcState>& st,
                     pid_t pid, int pidfd, uint64_t exit_token) {
  std::weak_ptr<Container> weak = c;
  const sdk::Host& h = host();
  reaper_.watch(pid, pidfd, [this, st, weak, exit_token, &h](int status) {
    {
      std::lock_guard plock(st->mu);
      st->exited = true;
      st->status = status;
    }
    st->cv.notify_all();
    std::error_code ec;
    fs::remove_all(fs::path(st->pid_file).parent_path(), ec);
    if (auto cont = weak.lock()) {
      std::lock_guard clock(mu_);
      auto it = cont->processes.find(st->id);
      if (it != cont->processes.end() && it->second == st)
        cont->processes.erase(it);
    }
    h.notify_process_exit(exit_token, status);
  });
}

std::unique_ptr<sdk::Process> Guardian::run(const sdk::Call&, const std::string& handle,
                                            const sdk::ProcessSpec& spec, uint64_t exit_token,
                                            sdk::ProcessIo& io) {
  std::shared_ptr<Container> c;
  {
    std::lock_guard lock(mu_);
    c = find(handle);
    if (c->processes.count(spec.id) != 0)
      throw sdk::Error(CC_E_EXISTS, "process already running: " + spec.id);
  }
  User u = lookup_user(c->rootfs, spec.user);
  auto env = process_env(c->env, spec.env, u);
  std::string cwd = spec.dir.empty() ? u.home : inside("/", spec.dir);
  ensure_dir(c->rootfs, cwd, u);
  if (!houdini::resolve_executable(c->rootfs, spec.path, env_value(env, "PATH"), cwd))
    throw sdk::Error(CC_E_NOT_FOUND, "executable not found: " + spec.path);

  auto base = container_process(c->bundle);
  sdk::ProcessSpec effective = spec;
  effective.dir = cwd;
  std::string id = spec.id.empty() ? std::to_string(exit_token) : spec.id;
  fs::path dir = fs::path(c->bundle) / "processes" / id;
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  {
    std::ofstream(dir / "process.json") << process_json(effective, env, u, base["capabilities"],
                                                        base.value("noNewPrivileges", true))
                                               .dump();
  }
  houdini::SpawnRequest req;
  req.exec_path = oci_->path();
  req.argv = oci_->exec_argv(handle, (dir / "process.json").string(), (dir / "pid").string());
  req.env = host_env();
  req.cwd = c->bundle;
  req.tty = spec.tty;
  houdini::Spawned s = houdini::spawn_process(req);

  auto st = std::make_shared<ProcState>();
  st->id = spec.id;
  st->pid = s.pid;
  st->pid_file = (dir / "pid").string();
  st->tty_fd = s.tty_fd;
  {
    std::lock_guard lock(mu_);
    c->processes[spec.id] = st;
  }
  watch(c, st, s.pid, s.pidfd, exit_token);
  io.stdin_fd = s.stdin_fd;
  io.stdout_fd = s.stdout_fd;
  io.stderr_fd = s.stderr_fd;
  return std::make_unique<GuardianProcess>(st);
}

}  // namespace concourse::guardian
