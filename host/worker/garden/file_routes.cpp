// Stream in / stream out: the tar bytes cross the ABI as a pipe. Stream out splices the pipe
// straight into the socket (no copy through user space); its head goes out only once the first
// byte exists, so a failure before that is still a proper JSON error.
//
// Neither call gets the request timeout: a large volume takes as long as it takes. A client
// that goes away cancels the call, and so does a destroy of the container or a server stop.
#include <Poco/InflatingStream.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <exception>
#include <istream>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "worker/garden/server_impl.hpp"

namespace concourse::worker::garden {
namespace {

constexpr int kPipeSize = 1 << 20;
constexpr size_t kSpliceChunk = size_t{1} << 20;
constexpr size_t kCopyChunk = 256 * 1024;

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe");
    }
    read = fds[0];
    write = fds[1];
    // Bigger pipes mean fewer wakeups per megabyte; failure only costs speed.
    ::fcntl(write, F_SETPIPE_SZ, kPipeSize);
  }
  ~Pipe() {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_read() {
    if (read >= 0)
      ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0)
      ::close(write);
    write = -1;
  }
};

// Joins a helper thread on every path out. Our end of the pipe is always the read end: closing
// it first makes any write the helper is blocked in fail with EPIPE, so the join cannot hang.
class Helper {
 public:
  explicit Helper(Pipe& pipe) : pipe_(pipe) {}
  ~Helper() { finish(); }
  Helper(const Helper&) = delete;
  Helper& operator=(const Helper&) = delete;
  template <typename Fn>
  void start(Fn&& fn) {
    thread_ = std::thread(std::forward<Fn>(fn));
  }
  void finish() {
    pipe_.close_read();
    if (thread_.joinable())
      thread_.join();
  }

 private:
  Pipe& pipe_;
  std::thread thread_;
};

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= static_cast<size_t>(w);
    } else if (w < 0 && errno != EINTR) {
      return false;
    }
  }
  return true;
}

// Moves everything from the pipe into the socket without copying through user space.
// false when the socket failed (client gone, or stalled past its send timeout).
bool splice_all(int from_pipe, int to_socket) {
  SigpipeBlock no_sigpipe;
  while (true) {
    ssize_t n = ::splice(from_pipe, nullptr, to_socket, nullptr, kSpliceChunk,
                         SPLICE_F_MOVE | SPLICE_F_MORE);
    if (n == 0)
      return true;
    if (n < 0 && errno != EINTR)
      return false;
  }
}

// Copies a request body into the pipe; false when reading the body failed. A reader that went
// away (EPIPE) is not a body failure: the plugin's own result says what happened.
bool copy_to_pipe(std::istream& body, int fd) {
  std::vector<char> buf(kCopyChunk);
  while (body.read(buf.data(), static_cast<std::streamsize>(buf.size())) || body.gcount() > 0) {
    if (!write_all(fd, buf.data(), static_cast<size_t>(body.gcount())))
      return true;
  }
  return !body.bad();
}

std::string query_value(const Query& q, std::string_view key) {
  const std::string* v = q.first(key);
  return v == nullptr ? std::string() : *v;
}

}  // namespace

void Server::Impl::stream_in(Request& r) {
  const std::string& handle = r.handle();
  std::string destination = query_value(r.query, "destination");
  std::string user = query_value(r.query, "user");
  // Garden clients send raw tar; the runtime ABI takes raw tar, so the host decodes anything else.
  const std::string encoding = r.http.get("Content-Encoding", "");
  bool gzip = encoding == "gzip";
  if (!gzip && !encoding.empty() && encoding != "identity" && encoding != "raw") {
    throw bad_request("stream in: unsupported Content-Encoding \"" + encoding +
                      "\" (send raw tar or gzip)");
  }
  auto use = gate_.enter(handle, std::chrono::nanoseconds(0));
  Pipe pipe;
  std::atomic<bool> body_failed{false};
  std::atomic<bool> body_done{false};
  Helper copier(pipe);
  copier.start([&] {
    SigpipeBlock no_sigpipe;
    try {
      std::optional<Poco::InflatingInputStream> inflated;
      if (gzip)
        inflated.emplace(r.http.stream(), Poco::InflatingStreamBuf::STREAM_GZIP);
      std::istream& body = gzip ? *inflated : r.http.stream();
      body_failed = !copy_to_pipe(body, pipe.write);
    } catch (...) {
      body_failed = true;
    }
    pipe.close_write();
    body_done = true;
  });
  std::exception_ptr failure;
  try {
    runtime_.stream_in(use.ctx(), handle, destination, user, pipe.read);
  } catch (...) {
    failure = std::current_exception();
  }
  if (!body_done) {
    // The plugin is done but the client is still sending: stop reading the socket so the copier
    // returns, and do not try to reuse the connection.
    r.resp.setKeepAlive(false);
    if (auto* impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&r.http)) {
      try {
        impl->socket().shutdownReceive();
      } catch (...) {
      }
    }
  }
  copier.finish();
  if (failure)
    std::rethrow_exception(failure);
  if (body_failed) {
    throw bad_request(std::string("stream in: could not read the request body") +
                      (gzip ? " as gzip" : ""));
  }
  log_.debug("streamed-in", {{"handle", handle}, {"destination", destination}});
  reply(r, 200, nlohmann::ordered_json::object());
}

void Server::Impl::stream_out(Request& r) {
  const std::string& handle = r.handle();
  std::string source = query_value(r.query, "source");
  std::string user = query_value(r.query, "user");
  auto use = gate_.enter(handle, std::chrono::nanoseconds(0));
  Pipe pipe;
  std::exception_ptr failure;
  Helper producer(pipe);
  producer.start([&] {
    SigpipeBlock no_sigpipe;
    try {
      runtime_.stream_out(use.ctx(), handle, source, user, pipe.write);
    } catch (...) {
      failure = std::current_exception();
    }
    pipe.close_write();
  });
  // Wait for the first byte, or for the plugin to finish without writing any.
  pollfd first{pipe.read, POLLIN, 0};
  while (::poll(&first, 1, -1) < 0 && errno == EINTR) {
  }
  if ((first.revents & POLLIN) == 0) {
    producer.finish();
    if (failure)
      std::rethrow_exception(failure);
    r.resp.setContentType("application/x-tar");
    r.resp.setContentLength(0);
    r.resp.send();
    r.status = 200;
    return;
  }
  Hijacked h = hijack(r.http, r.resp, std::chrono::nanoseconds(opts_.request_timeout));
  r.hijacked = true;
  r.status = 200;
  if (!connections_.register_fd(h.fd)) {
    ::close(h.fd);
    use.context().cancel();
    return;
  }
  bool client_gone = !send_all(
      h.fd,
      response_head(200, "OK", {{"Content-Type", "application/x-tar"}, {"Connection", "close"}}));
  if (!client_gone)
    client_gone = !splice_all(pipe.read, h.fd);
  // A client that left cancels the plugin call; closing our end makes its writes fail at once.
  if (client_gone)
    use.context().cancel();
  producer.finish();
  connections_.unregister_and_close(h.fd);
  if (client_gone) {
    log_.info("stream-out-aborted", {{"handle", handle}, {"source", source}});
  } else if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      // The head went out; the client sees a truncated archive and the log says why.
      log_.error("stream-out-failed",
                 {{"handle", handle}, {"source", source}, {"error", e.what()}});
    }
  }
}

}  // namespace concourse::worker::garden
