// A small Garden client for tests, speaking the raw protocol over loopback sockets exactly as
// Garden's Go client does: Run/Attach on one connection (HTTP head, then newline-delimited JSON
// frames both ways), stdout and stderr on two more connections keyed by the stream id.
// Header-only so integration tests and benchmarks can reuse it; every wait has a deadline.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace concourse::worker::garden::testing {

using Clock = std::chrono::steady_clock;
inline constexpr std::chrono::milliseconds kDefaultTimeout{20'000};

class RawConnection {
 public:
  explicit RawConnection(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
      throw std::runtime_error("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + " failed");
    }
  }
  ~RawConnection() { close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  RawConnection(RawConnection&& o) noexcept : fd_(o.fd_), buf_(std::move(o.buf_)), eof_(o.eof_) {
    o.fd_ = -1;
  }

  int fd() const { return fd_; }
  bool eof() const { return eof_ && buf_.empty(); }
  void close() {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  void send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        throw std::runtime_error("send failed");
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  void send_request(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& content_type = "") {
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: api\r\n";
    if (!content_type.empty())
      req += "Content-Type: " + content_type + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT") {
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    send(req);
  }

  struct Head {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names
  };
  Head read_head(Clock::time_point deadline) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline))
        throw std::runtime_error("connection closed before the response head");
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    Head h;
    size_t sp = head.find(' ');
    h.status = std::stoi(head.substr(sp + 1, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? next : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t v = line.find_first_not_of(' ', colon + 1);
        h.headers[name] = v == std::string::npos ? "" : line.substr(v);
      }
      pos = next;
    }
    return h;
  }

  // One newline-terminated frame, or nullopt at EOF.
  std::optional<std::string> read_line(Clock::time_point deadline) {
    size_t nl;
    while ((nl = buf_.find('\n')) == std::string::npos) {
      if (!fill(deadline))
        return std::nullopt;
    }
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return line;
  }

  // A complete frame already received, without waiting.
  std::optional<std::string> pop_line() {
    size_t nl = buf_.find('\n');
    if (nl == std::string::npos)
      return std::nullopt;
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return line;
  }

  std::string read_exactly(size_t n, Clock::time_point deadline) {
    while (buf_.size() < n) {
      if (!fill(deadline))
        throw std::runtime_error("connection closed early");
    }
    std::string out = buf_.substr(0, n);
    buf_.erase(0, n);
    return out;
  }

  std::string read_to_eof(Clock::time_point deadline) {
    while (fill(deadline)) {
    }
    return take();
  }

  std::string take() { return std::exchange(buf_, {}); }
  const std::string& buffered() const { return buf_; }

  // Reads once (waiting until the deadline); false at EOF.
  bool fill(Clock::time_point deadline) {
    if (eof_)
      return false;
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0)
        throw std::runtime_error("timed out waiting for the server");
      pollfd p{fd_, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 0)
        continue;
      char chunk[65536];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        eof_ = true;
        return false;
      }
      buf_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

 private:
  int fd_ = -1;
  std::string buf_;
  bool eof_ = false;
};

struct HttpReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// One request on its own connection ("Connection: close"), read to the end.
inline HttpReply http(uint16_t port, const std::string& method, const std::string& path,
                      const std::string& body = "",
                      const std::string& content_type = "application/json",
                      const std::map<std::string, std::string>& headers = {},
                      std::chrono::milliseconds timeout = kDefaultTimeout) {
  RawConnection c(port);
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: api\r\nConnection: close\r\n";
  if (!body.empty())
    req += "Content-Type: " + content_type + "\r\n";
  for (const auto& [k, v] : headers)
    req += k + ": " + v + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  c.send(req);
  auto deadline = Clock::now() + timeout;
  auto head = c.read_head(deadline);
  HttpReply r;
  r.status = head.status;
  r.headers = head.headers;
  auto len = head.headers.find("content-length");
  r.body = len != head.headers.end() ? c.read_exactly(std::stoul(len->second), deadline)
                                     : c.read_to_eof(deadline);
  return r;
}

struct ProcessResult {
  std::string process_id;
  std::string stream_id;
  std::string stdout_data;
  std::string stderr_data;
  std::optional<int> exit_status;
  std::string error;  // the "error" frame, or why the control connection ended without one
};

// One Run or Attach as Garden's Go client drives it.
class ProcessSession {
 public:
  // POST /containers/:handle/processes. Throws with the error body when the answer is not 201.
  static ProcessSession run(uint16_t port, const std::string& handle, const nlohmann::json& spec,
                            std::chrono::milliseconds timeout = kDefaultTimeout) {
    ProcessSession s(port, handle, timeout);
    s.control_.send_request("POST", "/containers/" + handle + "/processes", spec.dump() + "\n",
                            "application/json");
    s.handshake(201);
    return s;
  }

  // GET /containers/:handle/processes/:pid.
  static ProcessSession attach(uint16_t port, const std::string& handle, const std::string& pid,
                               std::chrono::milliseconds timeout = kDefaultTimeout) {
    ProcessSession s(port, handle, timeout);
    s.control_.send_request("GET", "/containers/" + handle + "/processes/" + pid);
    s.handshake(200);
    return s;
  }

  const std::string& process_id() const { return result_.process_id; }
  const std::string& stream_id() const { return result_.stream_id; }

  void send_stdin(const std::string& data) {
    frame({{"process_id", process_id()}, {"source", 0}, {"data", data}});
  }
  void close_stdin() { frame({{"process_id", process_id()}, {"source", 0}}); }
  void signal(int sig) { frame({{"process_id", process_id()}, {"signal", sig}}); }
  void resize(int columns, int rows) {
    frame({{"process_id", process_id()},
           {"tty", {{"window_size", {{"columns", columns}, {"rows", rows}}}}}});
  }
  void frame(const nlohmann::json& j) { control_.send(j.dump() + "\n"); }

  // Reads stdout, stderr and control frames until the exit frame and both EOFs.
  ProcessResult wait() {
    auto deadline = Clock::now() + timeout_;
    bool done = parse_buffered();
    while (!(done && out_->eof() && err_->eof())) {
      pollfd fds[3] = {
          {control_.fd(), POLLIN, 0}, {out_->fd(), POLLIN, 0}, {err_->fd(), POLLIN, 0}};
      if (done || control_.eof())
        fds[0].fd = -1;
      if (out_->eof())
        fds[1].fd = -1;
      if (err_->eof())
        fds[2].fd = -1;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0)
        throw std::runtime_error("timed out waiting for the process");
      if (::poll(fds, 3, static_cast<int>(left.count())) < 0 && errno != EINTR) {
        throw std::runtime_error("poll failed");
      }
      if (fds[1].revents != 0) {
        out_->fill(deadline);
        result_.stdout_data += out_->take();
      }
      if (fds[2].revents != 0) {
        err_->fill(deadline);
        result_.stderr_data += err_->take();
      }
      if (fds[0].revents != 0)
        done = read_frames(deadline);
    }
    return result_;
  }

  // Drops every connection, as a client that went away mid-run.
  void disconnect() {
    control_.close();
    out_->close();
    err_->close();
  }

 private:
  ProcessSession(uint16_t port, std::string handle, std::chrono::milliseconds timeout)
      : port_(port), handle_(std::move(handle)), timeout_(timeout), control_(port) {}

  void handshake(int expected) {
    auto deadline = Clock::now() + timeout_;
    auto head = control_.read_head(deadline);
    if (head.status != expected) {
      throw std::runtime_error("HTTP " + std::to_string(head.status) + ": " +
                               control_.read_to_eof(deadline));
    }
    auto first = control_.read_line(deadline);
    if (!first)
      throw std::runtime_error("no first frame");
    auto j = nlohmann::json::parse(*first);
    result_.process_id = j.at("process_id").get<std::string>();
    result_.stream_id = j.at("stream_id").get<std::string>();
    out_.emplace(open_output("stdout", deadline));
    err_.emplace(open_output("stderr", deadline));
  }

  RawConnection open_output(const std::string& which, Clock::time_point deadline) {
    RawConnection c(port_);
    c.send_request("GET", "/containers/" + handle_ + "/processes/" + result_.process_id +
                              "/attaches/" + result_.stream_id + "/" + which);
    auto head = c.read_head(deadline);
    if (head.status != 200)
      throw std::runtime_error(which + " attach: HTTP " + std::to_string(head.status));
    return c;
  }

  // true once the final frame arrived (or the control connection ended).
  bool read_frames(Clock::time_point deadline) {
    bool open = control_.fill(deadline);
    if (parse_buffered())
      return true;
    if (!open && !result_.exit_status && result_.error.empty()) {
      result_.error = "control connection closed without an exit status";
    }
    return !open;
  }

  bool parse_buffered() {
    while (auto line = control_.pop_line()) {
      auto j = nlohmann::json::parse(*line);
      if (j.contains("exit_status")) {
        result_.exit_status = j["exit_status"].get<int>();
        return true;
      }
      if (j.contains("error")) {
        result_.error = j["error"].get<std::string>();
        return true;
      }
    }
    return false;
  }

  uint16_t port_;
  std::string handle_;
  std::chrono::milliseconds timeout_;
  RawConnection control_;
  std::optional<RawConnection> out_;
  std::optional<RawConnection> err_;
  ProcessResult result_;
};

// Runs spec in the container through the whole protocol; stdin (if any) is sent as frames and
// followed by the EOF frame.
inline ProcessResult run_process(uint16_t port, const std::string& handle,
                                 const nlohmann::json& spec, const std::string& stdin_data = "",
                                 std::chrono::milliseconds timeout = kDefaultTimeout) {
  auto s = ProcessSession::run(port, handle, spec, timeout);
  if (!stdin_data.empty())
    s.send_stdin(stdin_data);
  s.close_stdin();
  return s.wait();
}

inline ProcessResult attach_process(uint16_t port, const std::string& handle,
                                    const std::string& pid,
                                    std::chrono::milliseconds timeout = kDefaultTimeout) {
  return ProcessSession::attach(port, handle, pid, timeout).wait();
}

}  // namespace concourse::worker::garden::testing
