// One `forward-worker` registration on one SSH connection: two tcpip-forward requests, the
// command with the worker JSON, then an event loop that accepts the TSA's forwarded-tcpip
// channels (dialing the local Garden or Baggageclaim for each), sends keepalives and watches
// for the command's exit-status. Runs on the beacon's registration thread.
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/log.hpp"
#include "tsa/channel_pipe.hpp"
#include "tsa/event_loop.hpp"
#include "worker/beacon/beacon.hpp"
#include "worker/beacon/tsa_client.hpp"

namespace concourse::worker::beacon {

struct Beacon::Registration {
  enum class Outcome { Exited, Stopped, Failed, Refresh };
  struct Result {
    Outcome outcome = Outcome::Failed;
    int exit_status = -1;
    std::string error;
  };

  Registration(SessionPtr session, const BeaconOptions& options, std::string worker_json,
               concourse::log::Logger log, std::atomic<bool>& registered,
               std::atomic<int>& heartbeats);
  ~Registration();

  Result run();
  // Any thread: signal INT to the command, then close once it ends or the drain times out.
  void stop();
  // Any thread: make run() return Outcome::Refresh, leaving the command and forwards as they are.
  void request_refresh();
  // After run() returned Refresh, on another thread: keeps serving the forwarded connections
  // until `ready` (the new registration is up, or stop), then cancels the command and serves
  // what is still open until it is all closed or the drain times out.
  void drain(const std::function<bool()>& ready);
  // Any thread: ends drain() at once (the beacon is stopping).
  void abandon() { abandoned_ = true; }

 private:
  static int on_message(ssh_session, ssh_message msg, void* ud);
  static int on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr, void* ud);
  static void on_exit_status(ssh_session, ssh_channel, int status, void* ud);
  static void on_close(ssh_session, ssh_channel, void* ud);
  void start_command();
  void accept_forwarded(ssh_message msg);
  void on_stdout_line(const std::string& line);
  int next_timeout_ms() const;
  void cancel_command();

  using Clock = std::chrono::steady_clock;
  SessionPtr session_;
  const BeaconOptions& options_;
  std::string worker_json_;
  concourse::log::Logger log_;
  std::atomic<bool>& registered_;
  std::atomic<int>& heartbeats_;
  tsa::EventLoop loop_;
  ssh_channel command_ = nullptr;
  ssh_channel_callbacks_struct callbacks_{};
  std::vector<std::unique_ptr<tsa::ChannelPipe>> pipes_;
  std::string stdout_buf_, stderr_buf_;
  int exit_status_ = -1;
  bool closed_ = false;
  bool cancelled_ = false;
  bool refresh_ = false;
  bool closing_ = false;  // being destroyed: refuse new forwarded connections
  std::atomic<bool> abandoned_{false};
  Clock::time_point next_keepalive_;
  Clock::time_point drain_deadline_ = Clock::time_point::max();
};

}  // namespace concourse::worker::beacon
