#include "tsa/connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "core/error.hpp"
#include "tsa/command_channel.hpp"

namespace concourse::tsa {

void KeyStore::load(const Options& options) {
  std::vector<KeyPtr> global;
  if (!options.authorized_keys_path.empty())
    global = load_authorized_keys(options.authorized_keys_path);
  std::vector<std::pair<std::string, std::vector<KeyPtr>>> teams;
  for (const auto& [team, path] : options.team_authorized_keys)
    teams.emplace_back(team, load_authorized_keys(path));
  std::lock_guard<std::mutex> lock(mu_);
  global_ = std::move(global);
  teams_ = std::move(teams);
}

std::optional<std::string> KeyStore::team_for(ssh_key key) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (contains_key(global_, key))
    return std::string();
  for (const auto& [team, keys] : teams_) {
    if (contains_key(keys, key))
      return team;
  }
  return std::nullopt;
}

Connection::Connection(Shared& shared, ssh_session session, std::string remote)
    : shared_(shared), session_(session), log_(shared.log.child({{"remote", std::move(remote)}})) {}

Connection::~Connection() {
  teardown();
  ssh_free(session_);
}

void Connection::stop() {
  stopping_ = true;
  // Wakes the loop; a closed loop means it is already on its way out.
  loop_.post([] {});
}

int Connection::on_auth_pubkey(ssh_session, const char*, ssh_key key, char state, void* ud) {
  auto* self = static_cast<Connection*>(ud);
  auto team = self->shared_.keys.team_for(key);
  if (!team) {
    if (state == SSH_PUBLICKEY_STATE_VALID)
      self->log_.info("unknown-key-refused");
    return SSH_AUTH_DENIED;
  }
  // STATE_NONE is the client asking whether the key would do; only a valid signature logs in.
  if (state == SSH_PUBLICKEY_STATE_NONE)
    return SSH_AUTH_SUCCESS;
  if (state != SSH_PUBLICKEY_STATE_VALID)
    return SSH_AUTH_DENIED;
  self->authenticated_ = true;
  self->key_team_ = *team;
  self->log_.debug("authenticated", {{"team", *team}});
  return SSH_AUTH_SUCCESS;
}

ssh_channel Connection::on_channel_open(ssh_session session, void* ud) {
  auto* self = static_cast<Connection*>(ud);
  if (!self->authenticated_ || self->channels_.size() >= kMaxChannels || self->stopping_)
    return nullptr;
  ssh_channel ch = ssh_channel_new(session);
  if (ch == nullptr)
    return nullptr;
  self->channels_.push_back(std::make_unique<CommandChannel>(*self, ch));
  return ch;
}

void Connection::on_global_request(ssh_session, ssh_message msg, void* ud) {
  auto* self = static_cast<Connection*>(ud);
  switch (ssh_message_subtype(msg)) {
    case SSH_GLOBAL_REQUEST_TCPIP_FORWARD:
      self->handle_tcpip_forward(msg);
      break;
    case SSH_GLOBAL_REQUEST_KEEPALIVE:
      ssh_message_global_request_reply_success(msg, 0);
      break;
    default:
      ssh_message_reply_default(msg);
  }
}

void Connection::handle_tcpip_forward(ssh_message msg) {
  if (!authenticated_ || listeners_.size() >= kMaxForwards || stopping_) {
    ssh_message_reply_default(msg);
    return;
  }
  std::string ip = shared_.options.peer_address;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  socklen_t len = sizeof addr;
  bool ok = fd >= 0 && inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) == 1 &&
            bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && listen(fd, 64) == 0 &&
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (!ok) {
    log_.error("forward-listen-failed", {{"peer_address", ip}, {"errno", std::to_string(errno)}});
    if (fd >= 0)
      ::close(fd);
    ssh_message_reply_default(msg);
    return;
  }
  Listener l;
  l.fd = fd;
  const char* bind_address = ssh_message_global_request_address(msg);
  l.bind_address = bind_address ? bind_address : "";
  l.requested_port = static_cast<uint32_t>(ssh_message_global_request_port(msg));
  l.bound_port = ntohs(addr.sin_port);
  listeners_.push_back(l);
  loop_.add_fd(fd, POLLIN, [this, fd](int) {
    for (auto& lst : listeners_) {
      if (lst.fd == fd)
        accept_forwarded(lst);
    }
  });
  ssh_message_global_request_reply_success(msg, l.bound_port);
  log_.info("forwarding", {{"requested_port", std::to_string(l.requested_port)},
                           {"bound", ip + ":" + std::to_string(l.bound_port)}});
  std::lock_guard<std::mutex> lock(forwards_mu_);
  forwards_.push_back({l.requested_port, l.bound_port});
  forwards_cv_.notify_all();
}

void Connection::accept_forwarded(Listener& l) {
  if (stopping_)
    return;
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int fd = accept4(l.fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
  ssh_channel ch = ssh_channel_new(session_);
  // Blocking open: libssh keeps serving the session's other channels while it waits.
  if (ch == nullptr || ssh_channel_open_reverse_forward(ch, l.bind_address.c_str(),
                                                        static_cast<int>(l.requested_port), ip,
                                                        ntohs(peer.sin_port)) != SSH_OK) {
    log_.warn("forwarded-channel-refused", {{"port", std::to_string(l.requested_port)}});
    if (ch != nullptr)
      ssh_channel_free(ch);
    ::close(fd);
    return;
  }
  pipes_.push_back(std::make_unique<ChannelPipe>(loop_, fd, ch));
}

std::vector<Forward> Connection::wait_forwards(size_t n, std::chrono::nanoseconds timeout) {
  std::unique_lock<std::mutex> lock(forwards_mu_);
  forwards_cv_.wait_for(lock, timeout, [&] { return forwards_.size() >= n || stopping_; });
  return forwards_;
}

void Connection::stop_forwarding() {
  loop_.post([this] {
    for (auto& l : listeners_)
      loop_.remove_fd(l.fd, true);
    listeners_.clear();
  });
}

void Connection::sweep() {
  destroy_finished(pipes_);
  destroy_finished(channels_);
}

void Connection::run() {
  ssh_set_auth_methods(session_, SSH_AUTH_METHOD_PUBLICKEY);
  server_cb_.userdata = this;
  server_cb_.auth_pubkey_function = &Connection::on_auth_pubkey;
  server_cb_.channel_open_request_session_function = &Connection::on_channel_open;
  ssh_callbacks_init(&server_cb_);
  ssh_set_server_callbacks(session_, &server_cb_);
  session_cb_.userdata = this;
  session_cb_.global_request_function = &Connection::on_global_request;
  ssh_callbacks_init(&session_cb_);
  ssh_set_callbacks(session_, &session_cb_);
  if (ssh_handle_key_exchange(session_) != SSH_OK) {
    log_.info("key-exchange-failed", {{"error", ssh_get_error(session_)}});
    finished_ = true;
    return;
  }
  ssh_event_add_session(loop_.event(), session_);
  // A client that never authenticates must not hold its thread.
  auto auth_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!stopping_) {
    int timeout = -1;
    if (!authenticated_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          auth_deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        log_.info("authentication-timed-out");
        break;
      }
      timeout = static_cast<int>(left.count());
    }
    int rc = loop_.poll_once(timeout);
    sweep();
    if (rc == SSH_ERROR || (ssh_get_status(session_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0)
      break;
  }
  ssh_event_remove_session(loop_.event(), session_);
  teardown();
  finished_ = true;
}

void Connection::teardown() {
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(forwards_mu_);
    forwards_cv_.notify_all();
  }
  for (auto& c : channels_)
    c->cancel();
  // No new forwarded connections while the pipes close (closing serves the event loop); then
  // closing the forwarded sockets fails any heartbeat probe still in the tunnel at once.
  for (auto& l : listeners_)
    loop_.remove_fd(l.fd, true);
  listeners_.clear();
  destroy_finished(pipes_, true);
  loop_.close();
  loop_.poll_once(0);
  for (auto& c : channels_)
    c->join();
  channels_.clear();
  if (ssh_is_connected(session_))
    ssh_disconnect(session_);
}

}  // namespace concourse::tsa
