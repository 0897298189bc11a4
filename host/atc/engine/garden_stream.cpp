#include "garden_stream.hpp"

#include <poll.h>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <stdexcept>
#include <utility>

namespace concourse::atc::engine {

using nlohmann::json;

// One connection: HTTP up to the response head, raw bytes after it.
struct GardenStream::Conn {
  Poco::Net::StreamSocket socket;
  std::string buf;
  bool eof = false;

  Conn(const std::string& host, uint16_t port) {
    socket.connect(Poco::Net::SocketAddress(host, port), Poco::Timespan(10, 0));
  }
  int fd() const { return socket.impl()->sockfd(); }
  void send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      int n = socket.sendBytes(data.data() + off, static_cast<int>(data.size() - off));
      if (n <= 0)
        throw std::runtime_error("garden: connection closed while sending");
      off += static_cast<size_t>(n);
    }
  }
  bool fill(int timeout_ms) {
    if (eof)
      return false;
    pollfd p{fd(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
      return false;
    char chunk[65536];
    int n = 0;
    try {
      n = socket.receiveBytes(chunk, sizeof chunk);
    } catch (const Poco::Exception&) {
    }
    if (n <= 0) {
      eof = true;
      return false;
    }
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int request(const std::string& method, const std::string& path, const std::string& body) {
    std::string r = method + " " + path + " HTTP/1.1\r\nHost: garden\r\n";
    if (!body.empty())
      r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n";
    send(r + "\r\n" + body);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    size_t end;
    while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || (!fill(1000) && eof))
        throw std::runtime_error("garden: no response head");
    }
    std::string head = buf.substr(0, end);
    buf.erase(0, end + 4);
    size_t sp = head.find(' ');
    return sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
  }
  std::optional<std::string> line() {
    size_t nl = buf.find('\n');
    if (nl == std::string::npos)
      return std::nullopt;
    std::string l = buf.substr(0, nl);
    buf.erase(0, nl + 1);
    return l;
  }
};

GardenStream::GardenStream(const std::string& addr, std::string handle)
    : handle_(std::move(handle)) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("garden address without a port: " + addr);
  host_ = addr.substr(0, colon);
  port_ = static_cast<uint16_t>(std::stoi(addr.substr(colon + 1)));
}

GardenStream::~GardenStream() = default;

void GardenStream::start(const json& spec) {
  std::string base = "/containers/" + handle_ + "/processes";
  control_ = std::make_unique<Conn>(host_, port_);
  int status = control_->request("POST", base, spec.dump() + "\n");
  if (status != 201) {
    while (control_->fill(1000)) {
    }
    not_found_ = control_->buf.find("ExecutableNotFound") != std::string::npos;
    json e = json::parse(control_->buf, nullptr, false);
    throw std::runtime_error(e.is_object() ? e.value("Message", control_->buf) : control_->buf);
  }
  std::optional<std::string> hello;
  while (!(hello = control_->line())) {
    if (!control_->fill(60000))
      throw std::runtime_error("garden run: no process frame");
  }
  json h = json::parse(*hello);
  pid_ = h.at("process_id");
  std::string sid = h.at("stream_id");
  for (auto* which : {"stdout", "stderr"}) {
    auto c = std::make_unique<Conn>(host_, port_);
    if (c->request("GET", base + "/" + pid_ + "/attaches/" + sid + "/" + which, "") != 200)
      throw std::runtime_error(std::string("garden attach ") + which + " failed");
    (std::string(which) == "stdout" ? out_ : err_) = std::move(c);
  }
}

void GardenStream::frame(const json& j) {
  std::lock_guard lock(send_mu_);
  // Garden's stdin is a JSON string: invalid UTF-8 is replaced, as Go's encoder does.
  control_->send(j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n");
}

void GardenStream::send_stdin(const std::string& data) {
  frame({{"process_id", pid_}, {"source", 0}, {"data", data}});
}

void GardenStream::close_stdin() {
  frame({{"process_id", pid_}, {"source", 0}});
}

void GardenStream::resize(int columns, int rows) {
  frame({{"process_id", pid_}, {"tty", {{"window_size", {{"columns", columns}, {"rows", rows}}}}}});
}

void GardenStream::signal(int which) {
  frame({{"process_id", pid_}, {"signal", which}});
}

bool GardenStream::poll(int timeout_ms, const std::function<void(const std::string&)>& on_stdout,
                        const std::function<void(const std::string&)>& on_stderr) {
  if (done_ && out_->eof && err_->eof)
    return false;
  pollfd fds[3] = {{done_ || control_->eof ? -1 : control_->fd(), POLLIN, 0},
                   {out_->eof ? -1 : out_->fd(), POLLIN, 0},
                   {err_->eof ? -1 : err_->fd(), POLLIN, 0}};
  ::poll(fds, 3, timeout_ms);
  // What came with the attach's response head, or just before EOF, is in buf too.
  if (fds[1].revents != 0)
    out_->fill(0);
  if (!out_->buf.empty())
    on_stdout(std::exchange(out_->buf, {}));
  if (fds[2].revents != 0)
    err_->fill(0);
  if (!err_->buf.empty())
    on_stderr(std::exchange(err_->buf, {}));
  if (fds[0].revents != 0) {
    control_->fill(0);
    while (auto l = control_->line()) {
      json j = json::parse(*l, nullptr, false);
      if (j.is_object() && j.contains("exit_status")) {
        exit_ = j["exit_status"].get<int>();
        done_ = true;
      } else if (j.is_object() && j.contains("error")) {
        error_ = j["error"].get<std::string>();
        done_ = true;
      }
    }
    if (control_->eof && !done_) {
      error_ = "garden closed the process connection without an exit status";
      done_ = true;
    }
  }
  return !(done_ && out_->eof && err_->eof);
}

std::map<std::string, std::string> garden_properties(const std::string& addr,
                                                     const std::string& handle) {
  size_t colon = addr.rfind(':');
  Poco::Net::HTTPClientSession s(addr.substr(0, colon),
                                 static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
  s.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req("GET", "/containers/" + handle + "/properties",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  s.sendRequest(req);
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), body);
  std::map<std::string, std::string> out;
  json j = json::parse(body, nullptr, false);
  if (resp.getStatus() < 300 && j.is_object()) {
    for (const auto& [k, v] : j.items())
      out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return out;
}

}  // namespace concourse::atc::engine
