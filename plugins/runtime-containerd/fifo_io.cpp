#include "fifo_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace concourse::containerd {
namespace {

int open_or_throw(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    throw sdk::Error(CC_E_INTERNAL, "open fifo " + path + ": " + std::strerror(errno));
  return fd;
}

void close_fd(int& fd) {
  if (fd >= 0)
    ::close(fd);
  fd = -1;
}

}  // namespace

FifoPaths fifo_paths(const std::string& dir, bool tty) {
  return {dir, dir + "/stdin", dir + "/stdout", tty ? "" : dir + "/stderr"};
}

void make_fifos(const FifoPaths& p) {
  std::filesystem::create_directories(p.dir);
  for (const auto& f : {p.stdin_path, p.stdout_path, p.stderr_path}) {
    if (f.empty())
      continue;
    if (::mkfifo(f.c_str(), 0600) != 0 && errno != EEXIST)
      throw sdk::Error(CC_E_INTERNAL, "mkfifo " + f + ": " + std::strerror(errno));
  }
}

FifoEnds::~FifoEnds() {
  for (int* fd : {&in_, &out_, &err_, &keep_out_, &keep_err_})
    close_fd(*fd);
}

void FifoEnds::open(const FifoPaths& p) {
  out_ = open_or_throw(p.stdout_path, O_RDONLY | O_NONBLOCK);
  keep_out_ = open_or_throw(p.stdout_path, O_WRONLY | O_NONBLOCK);
  if (!p.stderr_path.empty()) {
    err_ = open_or_throw(p.stderr_path, O_RDONLY | O_NONBLOCK);
    keep_err_ = open_or_throw(p.stderr_path, O_WRONLY | O_NONBLOCK);
  }
}

sdk::ProcessIo FifoEnds::release_to_host() {
  sdk::ProcessIo io;
  io.stdin_fd = in_;
  io.stdout_fd = out_;
  io.stderr_fd = err_;
  in_ = out_ = err_ = -1;
  return io;
}

void FifoEnds::close_keepalive() {
  close_fd(keep_out_);
  close_fd(keep_err_);
}

}  // namespace concourse::containerd
