// Stdin for a process: the host gets the write end of a pipe, and a pump copies it into the
// process's stdin fifo. The runc shim holds the fifo's write side itself, so closing our end is
// no EOF for the process; when the host closes the pipe, the pump asks containerd to close the
// process's stdin (Tasks.CloseIO), which is.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace concourse::containerd {

class StdinPumps {
 public:
  StdinPumps();
  ~StdinPumps();  // stops and joins every pump
  StdinPumps(const StdinPumps&) = delete;
  StdinPumps& operator=(const StdinPumps&) = delete;

  // Returns the pipe's write end for the host. on_eof runs on the pump thread once the host
  // closed it (not when the pumps are stopped).
  int start(const std::string& fifo_path, std::function<void()> on_eof);

 private:
  void pump(int in, int out, const std::function<void()>& on_eof);
  int stop_fd_ = -1;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

}  // namespace concourse::containerd
