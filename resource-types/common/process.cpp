#include "process.hpp"

#include "resource.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace concourse::resource {

namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  void open() {
    if (::pipe2(fd, O_CLOEXEC) != 0) {
      throw Error(std::string("pipe: ") + std::strerror(errno));
    }
  }
  void close_end(int i) {
    if (fd[i] >= 0) {
      ::close(fd[i]);
      fd[i] = -1;
    }
  }
  ~Pipe() {
    close_end(0);
    close_end(1);
  }
};

// Only async-signal-safe calls between fork and exec; on exec failure report via exit 127 as a
// shell would, after writing the reason to stderr.
[[noreturn]] void exec_child(const std::vector<std::string>& argv, const ProcessOptions& opts,
                             int in_fd, int out_fd, int err_fd) {
  ::dup2(in_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  if (!opts.cwd.empty() && ::chdir(opts.cwd.c_str()) != 0) {
    const char msg[] = "error: cannot change to working directory\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  for (const auto& [k, v] : opts.env) {
    ::setenv(k.c_str(), v.c_str(), 1);
  }
  std::vector<char*> cargv;
  for (const auto& a : argv) {
    cargv.push_back(const_cast<char*>(a.c_str()));
  }
  cargv.push_back(nullptr);
  ::execvp(cargv[0], cargv.data());
  const char msg[] = "error: cannot execute child process\n";
  (void)!::write(2, msg, sizeof msg - 1);
  ::_exit(127);
}

void pump(Pipe& in, Pipe& out, Pipe& err, const ProcessOptions& opts, ProcessResult& res) {
  std::string_view pending = opts.stdin_data ? std::string_view(*opts.stdin_data) : "";
  if (pending.empty()) {
    in.close_end(1);
  }
  char buf[65536];
  while (in.fd[1] >= 0 || out.fd[0] >= 0 || err.fd[0] >= 0) {
    pollfd fds[3] = {{in.fd[1], POLLOUT, 0}, {out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(std::string("poll: ") + std::strerror(errno));
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::write(in.fd[1], pending.data(), pending.size());
      if (n > 0) {
        pending.remove_prefix(static_cast<std::size_t>(n));
      }
      if (n < 0 || pending.empty()) {
        in.close_end(1);
      }
    }
    Pipe* readers[2] = {&out, &err};
    std::string* sinks[2] = {&res.out, &res.err};
    for (int i = 0; i < 2; ++i) {
      if (fds[i + 1].revents == 0) {
        continue;
      }
      ssize_t n = ::read(readers[i]->fd[0], buf, sizeof buf);
      if (n <= 0) {
        readers[i]->close_end(0);
        continue;
      }
      sinks[i]->append(buf, static_cast<std::size_t>(n));
      if (i == 1) {
        (void)!::write(2, buf, static_cast<std::size_t>(n));
      }
    }
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts) {
  if (argv.empty()) {
    throw Error("run_process: empty argv");
  }
  // A push into a vanished remote must not kill us with SIGPIPE while writing its stdin.
  ::signal(SIGPIPE, SIG_IGN);
  Pipe in, out, err;
  in.open();
  if (opts.capture_stdout) {
    out.open();
  }
  if (opts.capture_stderr) {
    err.open();
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    throw Error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    exec_child(argv, opts, in.fd[0], opts.capture_stdout ? out.fd[1] : 2,
               opts.capture_stderr ? err.fd[1] : 2);
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  ProcessResult res;
  pump(in, out, err, opts, res);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      throw Error(std::string("waitpid: ") + std::strerror(errno));
    }
  }
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return res;
}

std::string run_checked(const std::vector<std::string>& argv, const ProcessOptions& opts) {
  ProcessResult r = run_process(argv, opts);
  if (!r.ok()) {
    std::string cmd = argv[0];
    if (argv.size() > 1) {
      cmd += " " + argv[1];
    }
    throw Error(cmd + " failed with exit status " + std::to_string(r.exit_code));
  }
  return r.out;
}

}  // namespace concourse::resource
