// The fake runtime's processes and file streams: real children via posix_spawn, reaped by one
// waiter thread each.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "worker/garden/tests/fake_runtime.hpp"
#include "worker/garden/tests/fake_util.hpp"

extern char** environ;

namespace concourse::worker::garden::testing {
namespace {

namespace fs = std::filesystem;
using fake::cstr;
using fake::exit_code;
using fake::fail;
using fake::str;

// Runs argv with stdin/stdout redirected to the given fds and returns the exit code.
int run_tool(const std::vector<std::string>& argv, int in_fd, int out_fd) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
  if (out_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return exit_code(status);
}

// Pipes, or with a terminal a pty whose master serves as stdout and (dup'ed) stdin.
bool make_stdio(const cc_tty_size* tty, int child[3], int parent[3]) {
  if (tty != nullptr) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0)
      return false;
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(tty->columns);
    ws.ws_row = static_cast<unsigned short>(tty->rows);
    ioctl(master, TIOCSWINSZ, &ws);
    int slave = ::open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    child[0] = slave;
    child[1] = ::dup(slave);
    child[2] = ::dup(slave);
    parent[1] = master;
    parent[0] = ::fcntl(master, F_DUPFD_CLOEXEC, 0);
    return true;
  }
  for (int i = 0; i < 3; ++i) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
      return false;
    child[i] = i == 0 ? p[0] : p[1];
    parent[i] = i == 0 ? p[1] : p[0];
  }
  return true;
}

}  // namespace

int32_t FakeRuntime::process_run(cc_instance* rt, const cc_call_ctx*, cc_str h,
                                 const cc_process_spec* spec, uint64_t token, cc_process** out,
                                 cc_process_io* io, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("process_run");
  return f->spawn(str(h), spec, token, out, io, err);
}

int32_t FakeRuntime::spawn(const std::string& handle, const cc_process_spec* spec, uint64_t token,
                           cc_process** out, cc_process_io* io, cc_error* err) {
  std::vector<std::string> env;
  std::string dir;
  {
    std::lock_guard lock(mu_);
    auto it = containers_.find(handle);
    if (it == containers_.end())
      return fail(err, CC_E_NOT_FOUND, "unknown handle " + handle);
    env = it->second.env;
    dir = spec->dir.len != 0 ? str(spec->dir) : it->second.dir;
    for (const auto& p : processes_) {
      if (p->handle == handle && p->id == str(spec->id) && !p->exited) {
        return fail(err, CC_E_EXISTS, "process " + str(spec->id) + " is running");
      }
    }
  }
  for (size_t i = 0; i < spec->env_count; ++i)
    env.push_back(str(spec->env[i]));
  if (std::getenv("PATH") != nullptr)
    env.push_back(std::string("PATH=") + std::getenv("PATH"));
  std::vector<std::string> argv{str(spec->path)};
  for (size_t i = 0; i < spec->arg_count; ++i)
    argv.push_back(str(spec->args[i]));

  // Child ends first, parent ends second.
  int child[3] = {-1, -1, -1};
  int parent[3] = {-1, -1, -1};
  if (!make_stdio(spec->tty, child, parent))
    return fail(err, CC_E_INTERNAL, "stdio setup failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  for (int i = 0; i < 3; ++i)
    posix_spawn_file_actions_adddup2(&fa, child[i], i);
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The calling thread may block signals (Poco's threads block SIGTERM and SIGPIPE, the worker
  // blocks its control signals); a child must not inherit that.
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGQUIT, SIGHUP})
    sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args, envp;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  for (int fd : child)
    ::close(fd);
  if (rc != 0) {
    for (int fd : parent) {
      if (fd >= 0)
        ::close(fd);
    }
    if (rc == ENOENT || rc == EACCES) {
      return fail(err, CC_E_NOT_FOUND, "executable not found: " + argv[0]);
    }
    return fail(err, CC_E_INTERNAL, std::string("spawn: ") + std::strerror(rc));
  }
  auto proc = std::make_unique<Process>();
  proc->handle = handle;
  proc->id = str(spec->id);
  proc->pid = pid;
  proc->token = token;
  Process* raw = proc.get();
  {
    std::lock_guard lock(mu_);
    last_env_.clear();
    for (const auto& e : env) {
      auto eq = e.find('=');
      if (eq != std::string::npos)
        last_env_[e.substr(0, eq)] = e.substr(eq + 1);
    }
    processes_.push_back(std::move(proc));
    waiters_.emplace_back([this, raw] { wait_for(raw); });
  }
  *out = reinterpret_cast<cc_process*>(raw);
  io->stdin_fd = parent[0];
  io->stdout_fd = parent[1];
  io->stderr_fd = parent[2];
  return CC_OK;
}

void FakeRuntime::wait_for(Process* p) {
  int status = 0;
  while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
  }
  int32_t code = exit_code(status);
  uint64_t token = 0;
  {
    std::lock_guard lock(mu_);
    p->exited = true;
    p->status = code;
    token = p->token;
  }
  cv_.notify_all();
  notify(token, code);
}

// "Re-opens" a process a previous server instance started: the output it already produced is
// gone (empty pipes at EOF), but its exit is reported to the new token.
int32_t FakeRuntime::process_attach(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_str id,
                                    uint64_t token, cc_process** out, cc_process_io* io,
                                    cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("process_attach");
  Process* found = nullptr;
  bool exited = false;
  int32_t status = 0;
  {
    std::lock_guard lock(f->mu_);
    for (auto& p : f->processes_) {
      if (p->handle == str(h) && p->id == str(id))
        found = p.get();
    }
    if (found == nullptr)
      return fail(err, CC_E_NOT_FOUND, "no process " + str(id));
    found->token = token;
    found->released = false;
    exited = found->exited;
    status = found->status;
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return fail(err, CC_E_INTERNAL, "pipe failed");
  ::close(fds[1]);
  *out = reinterpret_cast<cc_process*>(found);
  io->stdin_fd = -1;
  io->stdout_fd = fds[0];
  io->stderr_fd = -1;
  // The host registered the token before calling, so the exit may be reported right away.
  if (exited)
    f->notify(token, status);
  return CC_OK;
}

int32_t FakeRuntime::process_signal(cc_instance* rt, cc_process* proc, int32_t sig, cc_error*) {
  FakeRuntime* f = self(rt);
  f->record("process_signal");
  auto* p = reinterpret_cast<Process*>(proc);
  std::lock_guard lock(f->mu_);
  if (p->released)
    ++f->misuse_;
  if (!p->exited)
    ::kill(p->pid, sig == CC_SIGNAL_KILL ? SIGKILL : SIGTERM);
  return CC_OK;
}

int32_t FakeRuntime::process_resize_tty(cc_instance* rt, cc_process* proc, cc_tty_size, cc_error*) {
  FakeRuntime* f = self(rt);
  f->record("process_resize_tty");
  std::lock_guard lock(f->mu_);
  if (reinterpret_cast<Process*>(proc)->released)
    ++f->misuse_;
  return CC_OK;
}

int32_t FakeRuntime::process_wait(cc_instance* rt, const cc_call_ctx*, cc_process* proc,
                                  int32_t* status, cc_error*) {
  FakeRuntime* f = self(rt);
  auto* p = reinterpret_cast<Process*>(proc);
  std::unique_lock lock(f->mu_);
  f->cv_.wait(lock, [p] { return p->exited; });
  *status = p->status;
  return CC_OK;
}

void FakeRuntime::process_release(cc_instance* rt, cc_process* proc) {
  FakeRuntime* f = self(rt);
  f->record("process_release");
  std::lock_guard lock(f->mu_);
  auto* p = reinterpret_cast<Process*>(proc);
  if (p->released)
    ++f->misuse_;
  p->released = true;
}

int32_t FakeRuntime::stream_in(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_str dst, cc_str,
                               int in_fd, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("stream_in");
  std::string dir = f->container_dir(str(h));
  if (dir.empty())
    return fail(err, CC_E_NOT_FOUND, "unknown handle");
  std::string target = dir + "/" + str(dst);
  fs::create_directories(target);
  if (run_tool({"tar", "-x", "-f", "-", "-C", target}, in_fd, -1) != 0) {
    return fail(err, CC_E_INVALID, "tar rejected the stream");
  }
  return CC_OK;
}

int32_t FakeRuntime::stream_out(cc_instance* rt, const cc_call_ctx*, cc_str h, cc_str src, cc_str,
                                int out_fd, cc_error* err) {
  FakeRuntime* f = self(rt);
  f->record("stream_out");
  std::string dir = f->container_dir(str(h));
  if (dir.empty())
    return fail(err, CC_E_NOT_FOUND, "unknown handle");
  size_t fail_after = SIZE_MAX;
  {
    std::lock_guard lock(f->mu_);
    fail_after = f->fail_stream_out_after_;
  }
  if (fail_after != SIZE_MAX) {
    std::string junk(fail_after, 'x');
    for (size_t off = 0; off < junk.size();) {
      ssize_t n = ::write(out_fd, junk.data() + off, junk.size() - off);
      if (n <= 0)
        break;
      off += static_cast<size_t>(n);
    }
    return fail(err, CC_E_INTERNAL, "disk on fire");
  }
  std::string path = dir + "/" + str(src);
  if (!fs::exists(path))
    return fail(err, CC_E_NOT_FOUND, "no such file: " + str(src));
  fs::path p(path);
  bool contents = !str(src).empty() && str(src).back() == '/';
  std::vector<std::string> argv =
      contents ? std::vector<std::string>{"tar", "-c", "-f", "-", "-C", path, "."}
               : std::vector<std::string>{
                     "tar", "-c", "-f", "-", "-C", p.parent_path().string(), p.filename().string()};
  if (run_tool(argv, -1, out_fd) != 0)
    return fail(err, CC_E_INTERNAL, "tar failed");
  return CC_OK;
}

}  // namespace concourse::worker::garden::testing
