// A session channel of a TSA connection: takes the exec request, collects the worker JSON from
// stdin, runs the command on its own thread and reports its exit-status. Loop-thread state is
// touched only on the loop thread; the command thread reaches the channel through post().
#pragma once

#include <libssh/callbacks.h>
#include <libssh/libssh.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "tsa/commands.hpp"

namespace concourse::tsa {

class Connection;

class CommandChannel : public CommandIo {
 public:
  static constexpr size_t kMaxStdin = 1 << 20;

  CommandChannel(Connection& conn, ssh_channel channel);
  ~CommandChannel() override;
  CommandChannel(const CommandChannel&) = delete;
  CommandChannel& operator=(const CommandChannel&) = delete;

  ssh_channel channel() const { return channel_; }
  // Any thread: the command's waits return true from now on.
  void cancel();
  // Loop thread: the channel can be freed (command over and reported, or never started).
  bool done() const;
  void join();

  void write_stdout(const std::string& data) override;
  bool wait_cancelled(std::chrono::nanoseconds d) override;
  std::vector<Forward> wait_forwards(size_t n, std::chrono::nanoseconds timeout) override;
  void stop_forwarding() override;

 private:
  static int on_exec(ssh_session, ssh_channel, const char* command, void* ud);
  static int on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr, void* ud);
  static void on_eof(ssh_session, ssh_channel, void* ud);
  static void on_close(ssh_session, ssh_channel, void* ud);
  static void on_signal(ssh_session, ssh_channel, const char* signal, void* ud);
  void maybe_start();
  void execute(std::vector<std::string> argv, std::string input);
  void finish(int status, const std::string& error);  // loop thread

  Connection& conn_;
  ssh_channel channel_;
  ssh_channel_callbacks_struct callbacks_{};
  std::string command_line_;
  bool exec_received_ = false;
  std::string stdin_;
  bool stdin_done_ = false;
  bool started_ = false;
  bool reported_ = false;
  bool remote_closed_ = false;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;
};

}  // namespace concourse::tsa
