#include "worker/beacon/registration.hpp"

#include <arpa/inet.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.hpp"

namespace concourse::worker::beacon {
namespace {

constexpr const char* kForwardCommand =
    "forward-worker --garden 0.0.0.0:7777 --baggageclaim 0.0.0.0:7788";

int dial(const std::string& addr) {
  auto colon = addr.rfind(':');
  if (colon == std::string::npos)
    return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(std::stoul(addr.substr(colon + 1))));
  if (inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr) != 1)
    return -1;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

Beacon::Registration::Registration(SessionPtr session, const BeaconOptions& options,
                                   std::string worker_json, concourse::log::Logger log,
                                   std::atomic<bool>& registered, std::atomic<int>& heartbeats)
    : session_(std::move(session)),
      options_(options),
      worker_json_(std::move(worker_json)),
      log_(std::move(log)),
      registered_(registered),
      heartbeats_(heartbeats) {}

Beacon::Registration::~Registration() {
  closing_ = true;
  loop_.close();
  tsa::destroy_finished(pipes_, true);
  loop_.poll_once(0);
  if (command_ != nullptr) {
    ssh_remove_channel_callbacks(command_, &callbacks_);
    ssh_channel_free(command_);
  }
  ssh_event_remove_session(loop_.event(), session_.get());
}

void Beacon::Registration::start_command() {
  for (int port : {7777, 7788}) {
    if (ssh_channel_listen_forward(session_.get(), "0.0.0.0", port, nullptr) != SSH_OK) {
      throw core::Error(CC_E_UNAVAILABLE, "tcpip-forward " + std::to_string(port) +
                                              " refused: " + ssh_get_error(session_.get()));
    }
  }
  command_ = ssh_channel_new(session_.get());
  if (command_ == nullptr || ssh_channel_open_session(command_) != SSH_OK ||
      ssh_channel_request_exec(command_, kForwardCommand) != SSH_OK) {
    throw core::Error(CC_E_UNAVAILABLE,
                      std::string("forward-worker: ") + ssh_get_error(session_.get()));
  }
  callbacks_.userdata = this;
  callbacks_.channel_data_function = &Registration::on_data;
  callbacks_.channel_exit_status_function = &Registration::on_exit_status;
  callbacks_.channel_close_function = &Registration::on_close;
  ssh_callbacks_init(&callbacks_);
  ssh_set_channel_callbacks(command_, &callbacks_);
  ssh_channel_write(command_, worker_json_.data(), static_cast<uint32_t>(worker_json_.size()));
  ssh_channel_send_eof(command_);
}

Beacon::Registration::Result Beacon::Registration::run() {
  Result r;
  try {
    ssh_set_message_callback(session_.get(), &Registration::on_message, this);
    start_command();
  } catch (const core::Error& e) {
    r.error = e.what();
    return r;
  }
  ssh_event_add_session(loop_.event(), session_.get());
  next_keepalive_ = Clock::now() + options_.keepalive_interval;
  for (;;) {
    int rc = loop_.poll_once(next_timeout_ms());
    tsa::destroy_finished(pipes_);
    if (exit_status_ >= 0 || closed_) {
      r.exit_status = exit_status_;
      r.outcome = cancelled_          ? Outcome::Stopped
                  : exit_status_ >= 0 ? Outcome::Exited
                                      : Outcome::Failed;
      r.error = stderr_buf_.empty() ? "forward-worker ended without an exit status" : stderr_buf_;
      return r;
    }
    if (refresh_ && !cancelled_) {
      r.outcome = Outcome::Refresh;
      return r;
    }
    if (rc == SSH_ERROR || !ssh_is_connected(session_.get())) {
      r.outcome = cancelled_ ? Outcome::Stopped : Outcome::Failed;
      r.error = std::string("connection lost: ") + ssh_get_error(session_.get());
      return r;
    }
    auto now = Clock::now();
    if (cancelled_ && now >= drain_deadline_) {
      r.outcome = Outcome::Stopped;
      return r;
    }
    if (now >= next_keepalive_) {
      ssh_send_keepalive(session_.get());
      next_keepalive_ = now + options_.keepalive_interval;
    }
  }
}

int Beacon::Registration::next_timeout_ms() const {
  auto until = std::min(next_keepalive_, drain_deadline_);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
}

void Beacon::Registration::stop() {
  loop_.post([this] { cancel_command(); });
}

void Beacon::Registration::request_refresh() {
  loop_.post([this] { refresh_ = true; });
}

void Beacon::Registration::drain(const std::function<bool()>& ready) {
  // Keep answering forwarded traffic and keepalives while the new registration comes up.
  auto serve = [this] {
    loop_.poll_once(100);
    tsa::destroy_finished(pipes_);
    if (Clock::now() >= next_keepalive_) {
      ssh_send_keepalive(session_.get());
      next_keepalive_ = Clock::now() + options_.keepalive_interval;
    }
    return !abandoned_ && ssh_is_connected(session_.get()) != 0;
  };
  while (!ready()) {
    if (!serve())
      return;
  }
  cancel_command();
  while (Clock::now() < drain_deadline_ && (!pipes_.empty() || !(exit_status_ >= 0 || closed_))) {
    if (!serve())
      return;
  }
  log_.info("old-registration-drained");
}

void Beacon::Registration::cancel_command() {
  if (cancelled_)
    return;
  cancelled_ = true;
  auto drain = std::min<std::chrono::nanoseconds>(options_.drain_timeout, std::chrono::hours(24));
  drain_deadline_ = Clock::now() + std::chrono::duration_cast<Clock::duration>(drain);
  if (command_ != nullptr && ssh_channel_is_open(command_))
    ssh_channel_request_send_signal(command_, "INT");
}

int Beacon::Registration::on_message(ssh_session, ssh_message msg, void* ud) {
  if (ssh_message_type(msg) != SSH_REQUEST_CHANNEL_OPEN ||
      ssh_message_subtype(msg) != SSH_CHANNEL_FORWARDED_TCPIP)
    return 1;  // libssh's default reply (refusal)
  static_cast<Registration*>(ud)->accept_forwarded(msg);
  return 0;
}

void Beacon::Registration::accept_forwarded(ssh_message msg) {
  if (closing_) {
    ssh_message_reply_default(msg);
    return;
  }
  int port = ssh_message_channel_request_open_destination_port(msg);
  const std::string& target = port == 7788 ? options_.baggageclaim_addr : options_.garden_addr;
  int fd = dial(target);
  if (fd < 0) {
    log_.warn("dial-local-failed", {{"addr", target}, {"errno", std::to_string(errno)}});
    ssh_message_reply_default(msg);
    return;
  }
  ssh_channel ch = ssh_message_channel_request_open_reply_accept(msg);
  if (ch == nullptr) {
    ::close(fd);
    return;
  }
  pipes_.push_back(std::make_unique<tsa::ChannelPipe>(loop_, fd, ch));
}

int Beacon::Registration::on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr,
                                  void* ud) {
  auto* self = static_cast<Registration*>(ud);
  const char* p = static_cast<const char*>(data);
  if (is_stderr) {
    self->stderr_buf_.append(p, std::min<size_t>(len, 4096));
    return static_cast<int>(len);
  }
  self->stdout_buf_.append(p, len);
  for (auto nl = self->stdout_buf_.find('\n'); nl != std::string::npos;
       nl = self->stdout_buf_.find('\n')) {
    self->on_stdout_line(self->stdout_buf_.substr(0, nl));
    self->stdout_buf_.erase(0, nl + 1);
  }
  return static_cast<int>(len);
}

void Beacon::Registration::on_stdout_line(const std::string& line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  std::string event = j.is_object() ? j.value("event", std::string()) : "";
  if (event == "registered") {
    registered_ = true;
    log_.info("registered");
  } else if (event == "heartbeated") {
    ++heartbeats_;
    log_.debug("heartbeated");
  }
}

void Beacon::Registration::on_exit_status(ssh_session, ssh_channel, int status, void* ud) {
  static_cast<Registration*>(ud)->exit_status_ = status;
}

void Beacon::Registration::on_close(ssh_session, ssh_channel, void* ud) {
  static_cast<Registration*>(ud)->closed_ = true;
}

}  // namespace concourse::worker::beacon
