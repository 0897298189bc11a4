#include "command.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

extern char** environ;

namespace concourse::guardian {

namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  off_t off = 0;
  for (ssize_t n; (n = ::pread(fd, buf, sizeof buf, off)) > 0; off += n)
    out.append(buf, static_cast<size_t>(n));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

// A memfd holding `text`, rewound; -1 on failure.
int memfd_with(const std::string& text) {
  int fd = ::memfd_create("cmd-in", MFD_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input) {
  CommandResult r;
  int in = input.empty() ? ::open("/dev/null", O_RDONLY | O_CLOEXEC) : memfd_with(input);
  int out = ::memfd_create("cmd-out", MFD_CLOEXEC);
  if (in < 0 || out < 0) {
    r.output = std::string("cannot set up stdio: ") + std::strerror(errno);
    if (in >= 0)
      ::close(in);
    if (out >= 0)
      ::close(out);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, 0);
  posix_spawn_file_actions_adddup2(&fa, out, 1);
  posix_spawn_file_actions_adddup2(&fa, out, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The worker blocks signals in its threads; the helper must start with none blocked.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, args[0], &fa, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(in);
  if (err != 0) {
    r.output = argv[0] + ": " + std::strerror(err);
    ::close(out);
    return r;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.output = read_all(out);
  ::close(out);
  return r;
}

std::optional<std::string> find_program(const std::string& name) {
  const char* env = std::getenv("PATH");
  std::string dirs = std::string(env != nullptr ? env : "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::istringstream in(dirs);
  for (std::string dir; std::getline(in, dir, ':');) {
    if (dir.empty())
      continue;
    std::string p = dir + "/" + name;
    if (::access(p.c_str(), X_OK) == 0)
      return p;
  }
  return std::nullopt;
}

}  // namespace concourse::guardian
