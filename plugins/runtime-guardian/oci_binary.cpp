#include "oci_binary.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <concourse/sdk.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "spawn.hpp"

extern char** environ;

namespace concourse::guardian {
namespace fs = std::filesystem;

namespace {

constexpr const char* kUnifiedControllers = "/sys/fs/cgroup/unified/cgroup.controllers";

bool file_nonempty(const char* path) {
  std::ifstream f(path);
  std::string s;
  return f && std::getline(f, s) && s.find_first_not_of(" \n") != std::string::npos;
}

std::string read_fd(int fd) {
  std::string out;
  char buf[4096];
  off_t off = 0;
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, off)) > 0; off += n)
    out.append(buf, static_cast<size_t>(n));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

}  // namespace

OciBinary::OciBinary(const std::string& bin, const std::string& state_root) : root_(state_root) {
  const char* env_path = std::getenv("PATH");
  auto found =
      houdini::resolve_executable("", bin, env_path != nullptr ? env_path : "/usr/bin", "/");
  if (!found)
    throw sdk::Error(CC_E_UNAVAILABLE, "guardian: OCI runtime '" + bin + "' not found in $PATH");
  path_ = *found;
  crun_ = fs::path(path_).filename() == "crun";
  hybrid_ = crun_ && file_nonempty(kUnifiedControllers);
  fs::create_directories(root_);
  empty_controllers_ = (fs::path(root_) / "empty-controllers").string();
  std::ofstream(empty_controllers_, std::ios::trunc).flush();
}

// fork + exec with stdio on a memfd; between the two only async-signal-safe calls (the host is
// multithreaded). The crun workaround runs here too: a private mount namespace in which the v2
// root's cgroup.controllers reads empty, so crun 1.8 accepts this hybrid host.
OciBinary::Result OciBinary::run(const std::vector<std::string>& args,
                                 bool hybrid_workaround) const {
  std::vector<std::string> full = {path_, "--root", root_};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int out = ::memfd_create("oci-out", MFD_CLOEXEC);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0 || devnull < 0)
    throw sdk::Error(CC_E_INTERNAL, std::string("guardian: memfd: ") + std::strerror(errno));
  bool workaround = hybrid_workaround && hybrid_;
  const char* empty = empty_controllers_.c_str();
  pid_t pid = ::fork();
  if (pid == 0) {
    sigset_t none;  // the worker blocks signals in every thread; runc must not inherit that
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; ++s)
      ::signal(s, SIG_DFL);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    if (workaround && (::unshare(CLONE_NEWNS) < 0 ||
                       ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ||
                       ::mount(empty, kUnifiedControllers, nullptr, MS_BIND, nullptr) < 0)) {
      static const char msg[] = "guardian: crun hybrid-cgroup workaround failed\n";
      (void)!::write(2, msg, sizeof msg - 1);
      ::_exit(126);
    }
    ::execve(argv[0], argv.data(), environ);
    ::_exit(127);
  }
  ::close(devnull);
  int status = 0;
  if (pid > 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  Result r{pid < 0 ? -1 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)),
           read_fd(out)};
  ::close(out);
  return r;
}

void OciBinary::run_detached(const std::string& id, const std::string& bundle) const {
  auto r = run({"run", "-d", "--bundle", bundle, id}, true);
  if (r.status != 0)
    throw sdk::Error(CC_E_INTERNAL, fs::path(path_).filename().string() + " run " + id +
                                        " failed (" + std::to_string(r.status) + "): " + r.output);
}

void OciBinary::remove(const std::string& id) const {
  auto r = run({"delete", "--force", id}, false);
  if (r.status != 0 && exists(id))
    throw sdk::Error(CC_E_INTERNAL, "delete " + id + " failed: " + r.output);
}

std::string OciBinary::kill(const std::string& id, int signal, bool all) const {
  std::vector<std::string> args = {"kill"};
  if (all)
    args.push_back("--all");
  args.push_back(id);
  args.push_back(std::to_string(signal));
  auto r = run(args, false);
  return r.status == 0 ? "" : r.output;
}

bool OciBinary::exists(const std::string& id) const {
  return run({"state", id}, false).status == 0;
}

std::vector<std::string> OciBinary::exec_argv(const std::string& id,
                                              const std::string& process_json,
                                              const std::string& pid_file) const {
  return {path_, "--root", root_, "exec", "--process", process_json, "--pid-file", pid_file, id};
}

}  // namespace concourse::guardian
