#include "worker/garden/process_streams.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <nlohmann/json.hpp>

#include "worker/garden/connections.hpp"
#include "worker/garden/fd_util.hpp"
#include "worker/garden/wire.hpp"

namespace concourse::worker::garden {
namespace {

constexpr size_t kMaxFrame = size_t{16} << 20;
constexpr auto kLinger = std::chrono::seconds(1);

// Lets the client read our last frame before the socket goes: closing with unread input in
// the receive queue would send a reset that can destroy data still in flight to it.
void linger_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = std::chrono::steady_clock::now() + kLinger;
  std::array<char, 4096> sink{};
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0)
      return;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return;
    if (::recv(fd, sink.data(), sink.size(), 0) <= 0)
      return;
  }
}

class ControlSession {
 public:
  ControlSession(ProcessTable& table, RuntimeClient& runtime, int fd, Stream& stream,
                 const concourse::log::Logger& log)
      : table_(table), runtime_(runtime), fd_(fd), stream_(stream), log_(log) {}

  void run(std::string leftover, int status) {
    const ProcessRecord& r = *stream_.record;
    std::string out = response_head(status, status == 201 ? "Created" : "OK",
                                    {{"Content-Type", "application/json"},
                                     // The body is never chunk-encoded, but the head must say
                                     // so as Go's server does: Go's httputil.ClientConn reads a
                                     // head with neither length nor chunking as "connection
                                     // closing" and Garden's client then fails the hijack.
                                     {"Transfer-Encoding", "chunked"}});
    nlohmann::ordered_json first{{"process_id", r.id}, {"stream_id", stream_.id}};
    out += first.dump() + "\n";
    if (!send_all(fd_, out) || !feed(leftover))
      return table_.control_closed(stream_);
    std::array<char, 64 * 1024> buf{};
    while (true) {
      if (auto frame = table_.take_final_frame(stream_)) {
        send_all(fd_, *frame);
        linger_close(fd_);
        return;
      }
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stream_.wake_fd, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR)
          continue;
        return table_.control_closed(stream_);
      }
      if ((fds[1].revents & POLLIN) != 0)
        drain_fd(stream_.wake_fd);
      if (fds[0].revents == 0)
        continue;
      ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || !feed(std::string_view(buf.data(), static_cast<size_t>(n)))) {
        return table_.control_closed(stream_);
      }
    }
  }

 private:
  // false when the connection must end (malformed or oversized frame).
  bool feed(std::string_view bytes) {
    pending_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (!handle_line(std::string_view(pending_).substr(start, nl - start)))
        return false;
    }
    pending_.erase(0, start);
    if (pending_.size() > kMaxFrame) {
      log_.warn("process-frame-too-large", fields());
      return false;
    }
    return true;
  }

  bool handle_line(std::string_view line) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos)
      return true;
    ProcessFrame f;
    try {
      f = decode_process_frame(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      // Garden's decoder gives up on the connection at the first bad payload; so do we.
      log_.warn("bad-process-frame", with(fields(), {"error", e.what()}));
      return false;
    }
    apply(f);
    return true;
  }

  void apply(const ProcessFrame& f) {
    const ProcessRecord& r = *stream_.record;
    switch (f.kind) {
      case ProcessFrame::Kind::Stdin:
        table_.write_stdin(stream_, f.data);
        break;
      case ProcessFrame::Kind::StdinEof:
        table_.close_stdin(stream_);
        break;
      case ProcessFrame::Kind::Signal:
        if (f.signal != CC_SIGNAL_TERMINATE && f.signal != CC_SIGNAL_KILL) {
          log_.warn("unknown-process-signal", with(fields(), {"signal", std::to_string(f.signal)}));
          break;
        }
        log_.info("signal-process", with(fields(), {"signal", std::to_string(f.signal)}));
        try {
          runtime_.signal(r.process, static_cast<int32_t>(f.signal));
        } catch (const std::exception& e) {
          log_.error("signal-process-failed", with(fields(), {"error", e.what()}));
        }
        break;
      case ProcessFrame::Kind::Resize:
        if (!r.tty || !runtime_.can_resize_tty()) {
          log_.debug("resize-without-tty", fields());
          break;
        }
        try {
          runtime_.resize_tty(r.process, f.size);
        } catch (const std::exception& e) {
          log_.debug("resize-tty-failed", with(fields(), {"error", e.what()}));
        }
        break;
      case ProcessFrame::Kind::Unknown:
        log_.debug("unknown-process-frame", fields());
        break;
    }
  }

  concourse::log::Fields fields() const {
    return {{"handle", stream_.record->handle},
            {"process_id", stream_.record->id},
            {"stream_id", stream_.id}};
  }
  static concourse::log::Fields with(concourse::log::Fields f, concourse::log::Field extra) {
    f.push_back(std::move(extra));
    return f;
  }

  ProcessTable& table_;
  RuntimeClient& runtime_;
  int fd_;
  Stream& stream_;
  const concourse::log::Logger& log_;
  std::string pending_;
};

}  // namespace

void serve_control(ProcessTable& table, RuntimeClient& runtime, int fd,
                   const std::shared_ptr<Stream>& stream, std::string leftover, int status,
                   const concourse::log::Logger& log) {
  ControlSession(table, runtime, fd, *stream, log).run(std::move(leftover), status);
}

void serve_output(ProcessTable& table, int fd, const std::shared_ptr<Stream>& stream, int channel) {
  std::string head = response_head(
      200, "OK", {{"Content-Type", "application/octet-stream"}, {"Transfer-Encoding", "chunked"}});
  if (!send_all(fd, head))
    return;
  if (!stream || !table.attach_output(*stream, channel)) {
    ::shutdown(fd, SHUT_WR);
    return;
  }
  std::vector<std::string> batch;
  while (table.next_output(*stream, channel, batch)) {
    for (const auto& chunk : batch) {
      if (!send_all(fd, chunk))
        return table.output_gone(*stream, channel);
    }
    batch.clear();
    table.output_written(*stream, channel);
  }
  ::shutdown(fd, SHUT_WR);
}

}  // namespace concourse::worker::garden
