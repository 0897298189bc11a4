// A process's stdio as named pipes the plugin owns: <dir>/{stdin,stdout,stderr}. The shim opens
// the other ends, so the process's output survives the worker (and containerd) going away, and
// a restarted worker re-opens the same paths to attach again.
#pragma once

#include <concourse/sdk.hpp>
#include <string>

namespace concourse::containerd {

struct FifoPaths {
  std::string dir, stdin_path, stdout_path, stderr_path;
};

FifoPaths fifo_paths(const std::string& dir, bool tty);  // tty: no stderr fifo
void make_fifos(const FifoPaths& p);                     // mkfifo each; dir created

// The parent ends handed to the host, and our own keep-alive writers: they stop a read end from
// seeing EOF before the shim has opened its write end; closed once the process exited.
class FifoEnds {
 public:
  FifoEnds() = default;
  ~FifoEnds();
  FifoEnds(const FifoEnds&) = delete;
  FifoEnds& operator=(const FifoEnds&) = delete;

  // Opens the output ends without blocking (stdin goes through a StdinPumps pipe instead).
  void open(const FifoPaths& p);
  // Moves the host's ends out (the host owns them from then on).
  sdk::ProcessIo release_to_host();
  void close_keepalive();

 private:
  int in_ = -1, out_ = -1, err_ = -1;
  int keep_out_ = -1, keep_err_ = -1;
};

}  // namespace concourse::containerd
