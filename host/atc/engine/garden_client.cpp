#include "garden_client.hpp"

#include <poll.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <memory>
#include <stdexcept>

namespace concourse::atc::engine {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto kConnectTimeout = std::chrono::seconds(10);
constexpr auto kHeadTimeout = std::chrono::seconds(60);
// After the exit frame, output that never reaches EOF (a daemon kept the pipe) is abandoned.
constexpr auto kDrainTimeout = std::chrono::seconds(5);

std::string garden_message(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("Message") && j["Message"].is_string())
    return j["Message"];
  return body;
}

// One connection that is HTTP only up to the response head, then a raw byte stream.
class Hijacked {
 public:
  Hijacked(const std::string& host, uint16_t port) {
    socket_.connect(Poco::Net::SocketAddress(host, port),
                    Poco::Timespan(std::chrono::seconds(kConnectTimeout).count(), 0));
  }

  int fd() const { return socket_.impl()->sockfd(); }
  bool eof() const { return eof_; }

  void send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      int n = socket_.sendBytes(data.data() + off, static_cast<int>(data.size() - off));
      if (n <= 0)
        throw std::runtime_error("garden: connection closed while sending");
      off += static_cast<size_t>(n);
    }
  }

  void request(const std::string& method, const std::string& path, const std::string& body) {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: garden\r\n";
    if (!body.empty() || method == "POST")
      r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
    send(r + "\r\n" + body);
  }

  // Status code of the head; whatever followed it stays buffered.
  int read_head() {
    auto deadline = Clock::now() + kHeadTimeout;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (Clock::now() > deadline || (!fill(1000) && eof_))
        throw std::runtime_error("garden: no response head");
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    size_t sp = head.find(' ');
    return sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
  }

  // Reads once if data arrives within timeout_ms; false when nothing was read.
  bool fill(int timeout_ms) {
    if (eof_)
      return false;
    pollfd p{fd(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
      return false;
    char chunk[65536];
    int n = 0;
    try {
      n = socket_.receiveBytes(chunk, sizeof chunk);
    } catch (const Poco::Exception&) {
      n = 0;
    }
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  std::optional<std::string> pop_line() {
    size_t nl = buf_.find('\n');
    if (nl == std::string::npos)
      return std::nullopt;
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    return line;
  }

  std::string take() { return std::exchange(buf_, {}); }

  std::string read_rest() {
    auto deadline = Clock::now() + kHeadTimeout;
    while (!eof_ && Clock::now() < deadline)
      fill(1000);
    return take();
  }

 private:
  Poco::Net::StreamSocket socket_;
  std::string buf_;
  bool eof_ = false;
};

std::string process_path(const std::string& handle) {
  return "/containers/" + handle + "/processes";
}

void deliver(Hijacked& c, const std::function<void(const std::string&)>& cb) {
  std::string data = c.take();
  if (!data.empty() && cb)
    cb(data);
}

}  // namespace

json to_json(const ContainerSpec& spec) {
  json j{{"handle", spec.handle}, {"env", spec.env}, {"properties", json::object()}};
  if (!spec.rootfs.empty())
    j["rootfs"] = spec.rootfs;
  if (spec.grace_time_ns > 0)
    j["grace_time"] = spec.grace_time_ns;
  if (spec.privileged)
    j["privileged"] = true;
  for (const auto& [k, v] : spec.properties)
    j["properties"][k] = v;
  json mounts = json::array();
  for (const auto& m : spec.bind_mounts) {
    mounts.push_back({{"src_path", m.src_path},
                      {"dst_path", m.dst_path},
                      {"mode", m.read_write ? 1 : 0},
                      {"origin", 0}});
  }
  if (!mounts.empty())
    j["bind_mounts"] = mounts;
  return j;
}

json to_json(const ProcessSpec& spec) {
  json j{{"path", spec.path}, {"args", spec.args}, {"env", spec.env}};
  if (!spec.id.empty())
    j["id"] = spec.id;
  if (!spec.dir.empty())
    j["dir"] = spec.dir;
  if (!spec.user.empty())
    j["user"] = spec.user;
  if (spec.tty)
    j["tty"] = {{"window_size", {{"columns", 500}, {"rows", 500}}}};
  return j;
}

GardenClient::GardenClient(std::string addr) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("garden address without a port: " + addr);
  host_ = addr.substr(0, colon);
  port_ = static_cast<uint16_t>(std::stoi(addr.substr(colon + 1)));
}

json GardenClient::request(const std::string& method, const std::string& path,
                           const std::string& body) {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(60, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/json");
  req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  std::string reply;
  Poco::StreamCopier::copyToString(in, reply);
  if (resp.getStatus() >= 300) {
    throw std::runtime_error("garden " + method + " " + path + ": " +
                             std::to_string(resp.getStatus()) + " " + garden_message(reply));
  }
  return reply.empty() ? json::object() : json::parse(reply, nullptr, false);
}

void GardenClient::ping() {
  request("GET", "/ping");
}

std::string GardenClient::create(const ContainerSpec& spec) {
  json r = request("POST", "/containers", to_json(spec).dump());
  return r.value("Handle", spec.handle);
}

void GardenClient::destroy(const std::string& handle) {
  request("DELETE", "/containers/" + handle);
}

void GardenClient::set_grace_time(const std::string& handle, int64_t ns) {
  request("PUT", "/containers/" + handle + "/grace_time", std::to_string(ns));
}

std::vector<std::string> GardenClient::list(const std::map<std::string, std::string>& props) {
  std::string q;
  for (const auto& [k, v] : props)
    q += (q.empty() ? "?" : "&") + k + "=" + v;
  json r = request("GET", "/containers" + q);
  return r.value("Handles", std::vector<std::string>{});
}

namespace {

// One Run, from the control handshake to the exit status (§4.3).
class ProcessSession {
 public:
  ProcessSession(const std::string& host, uint16_t port, std::string handle, const ProcessIo& io)
      : host_(host), port_(port), handle_(std::move(handle)), io_(io), control_(host, port) {}

  void start(const ProcessSpec& spec) {
    control_.request("POST", process_path(handle_), to_json(spec).dump() + "\n");
    int status = control_.read_head();
    if (status != 201)
      throw std::runtime_error("garden run: " + std::to_string(status) + " " +
                               garden_message(control_.read_rest()));
    std::optional<std::string> first;
    auto deadline = Clock::now() + kHeadTimeout;
    while (!(first = control_.pop_line())) {
      if (Clock::now() > deadline || (!control_.fill(1000) && control_.eof()))
        throw std::runtime_error("garden run: no process frame");
    }
    json hello = json::parse(*first);
    pid_ = hello.at("process_id");
    sid_ = hello.at("stream_id");
    out_ = attach("stdout");
    err_ = attach("stderr");
    if (!io_.stdin_data.empty())
      frame({{"process_id", pid_}, {"source", 0}, {"data", io_.stdin_data}});
    frame({{"process_id", pid_}, {"source", 0}});
  }

  ProcessOutcome wait() {
    deliver(*out_, io_.on_stdout);
    deliver(*err_, io_.on_stderr);
    parse_frames();
    while (!(done_ && out_->eof() && err_->eof())) {
      pollfd fds[3] = {{done_ || control_.eof() ? -1 : control_.fd(), POLLIN, 0},
                       {out_->eof() ? -1 : out_->fd(), POLLIN, 0},
                       {err_->eof() ? -1 : err_->fd(), POLLIN, 0}};
      ::poll(fds, 3, 100);
      if (fds[1].revents != 0 && out_->fill(0))
        deliver(*out_, io_.on_stdout);
      if (fds[2].revents != 0 && err_->fill(0))
        deliver(*err_, io_.on_stderr);
      if (fds[0].revents != 0) {
        control_.fill(0);
        parse_frames();
        if (control_.eof() && !done_) {
          result_.error = "garden closed the process connection without an exit status";
          done_ = true;
        }
      }
      if (!keep_waiting())
        break;
    }
    return result_;
  }

 private:
  std::unique_ptr<Hijacked> attach(const char* which) {
    auto c = std::make_unique<Hijacked>(host_, port_);
    c->request("GET", process_path(handle_) + "/" + pid_ + "/attaches/" + sid_ + "/" + which, "");
    if (int s = c->read_head(); s != 200)
      throw std::runtime_error(std::string("garden attach ") + which + ": " + std::to_string(s));
    return c;
  }

  void frame(const json& j) { control_.send(j.dump() + "\n"); }

  void parse_frames() {
    while (auto line = control_.pop_line()) {
      json j = json::parse(*line, nullptr, false);
      if (j.is_object() && j.contains("exit_status")) {
        result_.exit_status = j["exit_status"].get<int>();
        done_ = true;
      } else if (j.is_object() && j.contains("error")) {
        result_.error = j["error"].get<std::string>();
        done_ = true;
      }
    }
  }

  // Signals on should_stop (terminate, then kill); false once waiting is pointless.
  bool keep_waiting() {
    auto now = Clock::now();
    if (done_ && !done_at_)
      done_at_ = now;
    // A stopped process's output is not worth waiting for: its children may hold the pipes.
    if (done_at_ && (result_.stopped || now - *done_at_ > kDrainTimeout))
      return false;
    if (!done_ && !term_at_ && io_.should_stop && io_.should_stop()) {
      result_.stopped = true;
      term_at_ = now;
      frame({{"process_id", pid_}, {"signal", 0}});
    }
    if (!done_ && term_at_ && !kill_at_ && now - *term_at_ > io_.kill_after) {
      kill_at_ = now;
      frame({{"process_id", pid_}, {"signal", 1}});
    }
    if (kill_at_ && now - *kill_at_ > kDrainTimeout) {
      result_.error = "process did not exit after kill";
      return false;
    }
    return true;
  }

  const std::string& host_;
  uint16_t port_;
  std::string handle_;
  const ProcessIo& io_;
  Hijacked control_;
  std::unique_ptr<Hijacked> out_, err_;
  std::string pid_, sid_;
  ProcessOutcome result_;
  bool done_ = false;
  std::optional<Clock::time_point> term_at_, kill_at_, done_at_;
};

}  // namespace

ProcessOutcome GardenClient::run(const std::string& handle, const ProcessSpec& spec,
                                 const ProcessIo& io) {
  ProcessSession session(host_, port_, handle, io);
  session.start(spec);
  return session.wait();
}

void GardenClient::stream_in(const std::string& handle, const std::string& destination,
                             std::istream& tar) {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req("PUT", "/containers/" + handle + "/files?destination=" + destination,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setContentType("application/x-tar");
  req.setChunkedTransferEncoding(true);
  Poco::StreamCopier::copyStream(tar, session.sendRequest(req));
  Poco::Net::HTTPResponse resp;
  std::string reply;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), reply);
  if (resp.getStatus() >= 300)
    throw std::runtime_error("garden stream-in " + destination + ": " + garden_message(reply));
}

void GardenClient::stream_out(const std::string& handle, const std::string& source,
                              const std::function<void(const char*, size_t)>& sink) {
  Poco::Net::HTTPClientSession session(host_, port_);
  session.setTimeout(Poco::Timespan(600, 0));
  Poco::Net::HTTPRequest req("GET", "/containers/" + handle + "/files?source=" + source,
                             Poco::Net::HTTPMessage::HTTP_1_1);
  session.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  if (resp.getStatus() >= 300) {
    std::string reply;
    Poco::StreamCopier::copyToString(in, reply);
    throw std::runtime_error("garden stream-out " + source + ": " + garden_message(reply));
  }
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0)
    sink(buf, static_cast<size_t>(in.gcount()));
}

}  // namespace concourse::atc::engine
