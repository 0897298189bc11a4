#include "worker/garden/connections.hpp"

#include <Poco/Buffer.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/StreamSocket.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <stdexcept>
#include <system_error>

namespace concourse::worker::garden {
namespace {

timeval to_timeval(std::chrono::nanoseconds d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us / 1'000'000);
  tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
  return tv;
}

}  // namespace

Hijacked hijack(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response,
                std::chrono::nanoseconds send_timeout) {
  auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&request);
  if (impl == nullptr)
    throw std::runtime_error("hijack: not a Poco server request");
  // Poco must not treat the connection as reusable once we own it.
  response.setKeepAlive(false);
  Hijacked h;
  Poco::Buffer<char> pending(0);
  impl->session().drainBuffer(pending);
  h.leftover.assign(pending.begin(), pending.size());
  Poco::Net::StreamSocket socket = impl->detachSocket();
  // Our own descriptor: Poco closes its copy whenever it likes, ours lives as long as we need.
  h.fd = ::fcntl(socket.impl()->sockfd(), F_DUPFD_CLOEXEC, 0);
  if (h.fd < 0)
    throw std::system_error(errno, std::generic_category(), "hijack: dup socket");
  int flags = ::fcntl(h.fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(h.fd, F_SETFL, flags & ~O_NONBLOCK);
  timeval none{};
  ::setsockopt(h.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  // A client that stops reading for this long counts as gone, so its stream cannot pin a process.
  timeval send = to_timeval(send_timeout);
  ::setsockopt(h.fd, SOL_SOCKET, SO_SNDTIMEO, &send, sizeof send);
  return h;
}

std::string response_head(int status, std::string_view reason,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  char date[64];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  head += "Date: " + std::string(date) + "\r\n";
  for (const auto& [k, v] : headers)
    head += k + ": " + v + "\r\n";
  head += "\r\n";
  return head;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return false;
  }
  return true;
}

SigpipeBlock::SigpipeBlock() {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, &old);
  was_blocked_ = sigismember(&old, SIGPIPE) == 1;
}

SigpipeBlock::~SigpipeBlock() {
  if (was_blocked_)
    return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  timespec zero{};
  while (sigtimedwait(&set, nullptr, &zero) == SIGPIPE) {
  }
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

ConnectionRegistry::~ConnectionRegistry() {
  shutdown_all();
  join_all();
}

bool ConnectionRegistry::spawn(int fd, std::function<void(int)> fn) {
  std::vector<std::thread> finished;
  bool spawned = false;
  {
    std::lock_guard lock(mu_);
    reap_locked(finished);
    if (!stopping_) {
      fds_.insert(fd);
      Worker& w = workers_.emplace_back();
      w.thread = std::thread([this, fd, fn = std::move(fn), &w] {
        SigpipeBlock no_sigpipe;
        try {
          fn(fd);
        } catch (...) {
          // Connection functions report their own failures; the fd still has to be closed.
        }
        unregister_and_close(fd);
        w.done = true;
      });
      spawned = true;
    }
  }
  // Joined outside the lock: a finished thread may still be on its way out.
  for (auto& t : finished)
    t.join();
  if (!spawned)
    ::close(fd);
  return spawned;
}

bool ConnectionRegistry::register_fd(int fd) {
  std::lock_guard lock(mu_);
  if (stopping_)
    return false;
  fds_.insert(fd);
  return true;
}

void ConnectionRegistry::unregister_and_close(int fd) {
  std::lock_guard lock(mu_);
  fds_.erase(fd);
  ::close(fd);
}

void ConnectionRegistry::shutdown_all() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (int fd : fds_)
    ::shutdown(fd, SHUT_RDWR);
}

void ConnectionRegistry::join_all() {
  std::list<Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.splice(workers.end(), workers_);
  }
  for (auto& w : workers) {
    if (w.thread.joinable())
      w.thread.join();
  }
}

size_t ConnectionRegistry::active() {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& w : workers_)
    n += w.done ? 0 : 1;
  return n;
}

void ConnectionRegistry::reap_locked(std::vector<std::thread>& finished) {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    finished.push_back(std::move(it->thread));
    it = workers_.erase(it);
  }
}

}  // namespace concourse::worker::garden
