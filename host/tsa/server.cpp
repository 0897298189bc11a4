#include "tsa/server.hpp"

#include <arpa/inet.h>
#include <libssh/server.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <list>
#include <mutex>
#include <thread>

#include "core/error.hpp"
#include "tsa/connection.hpp"

namespace concourse::tsa {
namespace {

// Host key, MAC and KEX restrictions of reference §3.2.
constexpr const char* kHostKeyAlgorithms = "rsa-sha2-512,rsa-sha2-256";
constexpr const char* kMacs = "hmac-sha2-256-etm@openssh.com,hmac-sha2-256";
constexpr const char* kKex =
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
    "ecdh-sha2-nistp521";
// Thread per connection; beyond this many live connections new ones are closed at once.
constexpr size_t kMaxConnections = 256;

int listen_on(const std::string& ip, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    throw core::Error(CC_E_INTERNAL, "tsa: socket: " + std::string(strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw core::Error(CC_E_INVALID, "tsa: invalid bind ip " + ip);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 128) != 0) {
    std::string err = strerror(errno);
    ::close(fd);
    throw core::Error(CC_E_UNAVAILABLE,
                      "tsa: cannot listen on " + ip + ":" + std::to_string(port) + ": " + err);
  }
  return fd;
}

}  // namespace

struct Server::Impl {
  explicit Impl(Options o, concourse::log::Logger l)
      : options(std::move(o)), shared{options, {}, AtcClient(options), std::move(l)} {}

  struct Live {
    std::unique_ptr<Connection> conn;
    std::thread thread;
  };

  void accept_loop();
  void accept_one();
  void reap(bool all);

  Options options;
  Shared shared;
  ssh_bind bind = nullptr;
  int listen_fd = -1;
  int stop_fd = -1;
  uint16_t port = 0;
  std::thread acceptor;
  std::mutex mu;
  std::list<Live> live;
  bool started = false;
};

Server::Server(Options options, concourse::log::Logger log)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(log))) {}

Server::~Server() {
  stop();
}

void Server::start() {
  auto& im = *impl_;
  if (im.started)
    return;
  if (im.options.host_key_path.empty())
    throw core::Error(CC_E_INVALID, "tsa: --tsa-host-key is required");
  auto host_key = load_private_key(im.options.host_key_path);
  if (ssh_key_type(host_key.get()) != SSH_KEYTYPE_RSA)
    throw core::Error(CC_E_INVALID, "tsa: host key " + im.options.host_key_path + " is not RSA");
  im.shared.keys.load(im.options);

  im.bind = ssh_bind_new();
  bool no_config = false;
  ssh_bind_options_set(im.bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no_config);
  ssh_bind_options_set(im.bind, SSH_BIND_OPTIONS_HOSTKEY, im.options.host_key_path.c_str());
  ssh_bind_options_set(im.bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, kHostKeyAlgorithms);
  ssh_bind_options_set(im.bind, SSH_BIND_OPTIONS_HMAC_C_S, kMacs);
  ssh_bind_options_set(im.bind, SSH_BIND_OPTIONS_HMAC_S_C, kMacs);
  ssh_bind_options_set(im.bind, SSH_BIND_OPTIONS_KEY_EXCHANGE, kKex);

  im.listen_fd = listen_on(im.options.bind_ip, im.options.bind_port);
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  getsockname(im.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  im.port = ntohs(addr.sin_port);
  im.stop_fd = eventfd(0, EFD_CLOEXEC);
  im.started = true;
  im.acceptor = std::thread([&im] { im.accept_loop(); });
  im.shared.log.info("listening", {{"addr", im.options.bind_ip + ":" + std::to_string(im.port)},
                                   {"peer_address", im.options.peer_address}});
}

void Server::Impl::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (fds[1].revents != 0)
      return;
    if (fds[0].revents != 0)
      accept_one();
  }
}

void Server::Impl::accept_one() {
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  if (fd < 0)
    return;
  reap(false);
  char ip[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
  std::string remote = std::string(ip) + ":" + std::to_string(ntohs(peer.sin_port));
  std::lock_guard<std::mutex> lock(mu);
  if (live.size() >= kMaxConnections) {
    shared.log.warn("connection-refused", {{"remote", remote}, {"reason", "too many connections"}});
    ::close(fd);
    return;
  }
  // Every request the ATC sends a worker crosses this socket in small SSH packets: without
  // NODELAY, Nagle and delayed ACKs add 40 ms to each round trip.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ssh_session session = ssh_new();
  long timeout = 30;  // seconds for key exchange and each blocking step of a stalled client
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &timeout);
  if (ssh_bind_accept_fd(bind, session, fd) != SSH_OK) {
    shared.log.error("accept-failed", {{"error", ssh_get_error(bind)}});
    ssh_free(session);
    ::close(fd);
    return;
  }
  auto& entry = live.emplace_back();
  entry.conn = std::make_unique<Connection>(shared, session, remote);
  Connection* c = entry.conn.get();
  entry.thread = std::thread([c] { c->run(); });
}

void Server::Impl::reap(bool all) {
  std::list<Live> done;
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = live.begin(); it != live.end();) {
      if (all || it->conn->finished()) {
        if (all)
          it->conn->stop();
        done.splice(done.end(), live, it++);
      } else {
        ++it;
      }
    }
  }
  for (auto& d : done)
    d.thread.join();
}

void Server::stop() {
  auto& im = *impl_;
  if (!im.started)
    return;
  im.started = false;
  uint64_t one = 1;
  [[maybe_unused]] auto n = write(im.stop_fd, &one, sizeof one);
  im.acceptor.join();
  ::close(im.listen_fd);
  ::close(im.stop_fd);
  im.reap(true);
  ssh_bind_free(im.bind);
  im.bind = nullptr;
  im.shared.log.info("stopped");
}

void Server::reload_keys() {
  impl_->shared.keys.load(impl_->options);
  impl_->shared.log.info("keys-reloaded");
}

uint16_t Server::port() const {
  return impl_->port;
}

}  // namespace concourse::tsa
