// One worker's SSH connection to the TSA, served on its own thread: public-key auth against the
// key store, session channels running commands (each on a thread of its own, talking to the
// session only through the EventLoop), tcpip-forward listeners and their forwarded-tcpip pipes.
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "tsa/atc_client.hpp"
#include "tsa/channel_pipe.hpp"
#include "tsa/commands.hpp"
#include "tsa/event_loop.hpp"
#include "tsa/keys.hpp"
#include "tsa/server.hpp"

namespace concourse::tsa {

// Global and team worker keys; reloaded on SIGHUP while connections authenticate.
class KeyStore {
 public:
  void load(const Options& options);
  // "" for a global key, the team for a team key, nullopt for an unknown key.
  std::optional<std::string> team_for(ssh_key key) const;

 private:
  mutable std::mutex mu_;
  std::vector<KeyPtr> global_;
  std::vector<std::pair<std::string, std::vector<KeyPtr>>> teams_;
};

struct Shared {
  const Options& options;
  KeyStore keys;
  AtcClient atc;
  concourse::log::Logger log;
};

class CommandChannel;

class Connection {
 public:
  static constexpr size_t kMaxChannels = 8;
  static constexpr size_t kMaxForwards = 2;

  Connection(Shared& shared, ssh_session session, std::string remote);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connection thread: key exchange, then the event loop until the client leaves or stop().
  void run();
  // Any thread.
  void stop();
  bool finished() const { return finished_; }

 private:
  friend class CommandChannel;
  struct Listener {
    int fd = -1;
    std::string bind_address;
    uint32_t requested_port = 0;
    uint16_t bound_port = 0;
  };

  static int on_auth_pubkey(ssh_session, const char* user, ssh_key key, char state, void* ud);
  static ssh_channel on_channel_open(ssh_session, void* ud);
  static void on_global_request(ssh_session, ssh_message msg, void* ud);
  void handle_tcpip_forward(ssh_message msg);
  void accept_forwarded(Listener& l);
  void sweep();
  void teardown();

  // For commands (any thread).
  std::vector<Forward> wait_forwards(size_t n, std::chrono::nanoseconds timeout);
  void stop_forwarding();

  Shared& shared_;
  ssh_session session_;
  concourse::log::Logger log_;
  EventLoop loop_;
  ssh_server_callbacks_struct server_cb_{};
  ssh_callbacks_struct session_cb_{};
  bool authenticated_ = false;
  std::string key_team_;
  std::vector<std::unique_ptr<CommandChannel>> channels_;
  std::vector<Listener> listeners_;
  std::vector<std::unique_ptr<ChannelPipe>> pipes_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};

  std::mutex forwards_mu_;
  std::condition_variable forwards_cv_;
  std::vector<Forward> forwards_;
};

}  // namespace concourse::tsa
