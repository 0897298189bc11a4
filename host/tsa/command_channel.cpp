#include "tsa/command_channel.hpp"

#include "core/error.hpp"
#include "tsa/connection.hpp"

namespace concourse::tsa {
namespace {

bool known_command(const std::string& name) {
  static const char* const kCommands[] = {"forward-worker", "register-worker",   "land-worker",
                                          "retire-worker",  "delete-worker",     "sweep-containers",
                                          "sweep-volumes",  "report-containers", "report-volumes"};
  for (const char* c : kCommands) {
    if (name == c)
      return true;
  }
  return false;
}

}  // namespace

CommandChannel::CommandChannel(Connection& conn, ssh_channel channel)
    : conn_(conn), channel_(channel) {
  callbacks_.userdata = this;
  callbacks_.channel_exec_request_function = &CommandChannel::on_exec;
  callbacks_.channel_data_function = &CommandChannel::on_data;
  callbacks_.channel_eof_function = &CommandChannel::on_eof;
  callbacks_.channel_close_function = &CommandChannel::on_close;
  callbacks_.channel_signal_function = &CommandChannel::on_signal;
  ssh_callbacks_init(&callbacks_);
  ssh_set_channel_callbacks(channel_, &callbacks_);
}

CommandChannel::~CommandChannel() {
  cancel();
  join();
  ssh_remove_channel_callbacks(channel_, &callbacks_);
  ssh_channel_free(channel_);
}

void CommandChannel::cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  cv_.notify_all();
}

bool CommandChannel::done() const {
  return reported_ || (!started_ && remote_closed_);
}

void CommandChannel::join() {
  if (thread_.joinable())
    thread_.join();
}

int CommandChannel::on_exec(ssh_session, ssh_channel, const char* command, void* ud) {
  auto* self = static_cast<CommandChannel*>(ud);
  if (self->exec_received_)
    return 1;
  self->command_line_ = command;
  auto argv = split_command(self->command_line_);
  if (!known_command(argv.front())) {
    std::string msg = "invalid command: " + self->command_line_ + "\n";
    ssh_channel_write_stderr(self->channel_, msg.data(), static_cast<uint32_t>(msg.size()));
    // After libssh has sent the refusal: the channel is of no further use.
    self->exec_received_ = true;
    self->started_ = true;
    self->conn_.loop_.post([self] { self->finish(1, ""); });
    return 1;
  }
  self->exec_received_ = true;
  self->maybe_start();
  return 0;
}

int CommandChannel::on_data(ssh_session, ssh_channel, void* data, uint32_t len, int is_stderr,
                            void* ud) {
  auto* self = static_cast<CommandChannel*>(ud);
  if (is_stderr || self->stdin_done_)
    return static_cast<int>(len);
  if (self->stdin_.size() + len > kMaxStdin) {
    self->stdin_done_ = true;
    self->finish(1, "worker JSON on stdin is larger than 1MiB");
    return static_cast<int>(len);
  }
  self->stdin_.append(static_cast<const char*>(data), len);
  // One JSON object is the whole input; a client need not send EOF after it.
  if (nlohmann::json::accept(self->stdin_))
    self->stdin_done_ = true;
  self->maybe_start();
  return static_cast<int>(len);
}

void CommandChannel::on_eof(ssh_session, ssh_channel, void* ud) {
  auto* self = static_cast<CommandChannel*>(ud);
  self->stdin_done_ = true;
  self->maybe_start();
}

void CommandChannel::on_close(ssh_session, ssh_channel, void* ud) {
  auto* self = static_cast<CommandChannel*>(ud);
  self->remote_closed_ = true;
  self->cancel();
}

void CommandChannel::on_signal(ssh_session, ssh_channel, const char* signal, void* ud) {
  auto* self = static_cast<CommandChannel*>(ud);
  self->conn_.log_.info("signal-received", {{"signal", signal ? signal : ""}});
  self->cancel();
}

void CommandChannel::maybe_start() {
  if (started_ || reported_ || !exec_received_ || !stdin_done_)
    return;
  started_ = true;
  auto argv = split_command(command_line_);
  thread_ = std::thread([this, argv = std::move(argv), input = stdin_]() mutable {
    execute(std::move(argv), std::move(input));
  });
}

void CommandChannel::execute(std::vector<std::string> argv, std::string input) {
  int status = 0;
  std::string error;
  auto log = conn_.log_.child({{"command", argv.front()}});
  try {
    auto worker = nlohmann::json::parse(input, nullptr, false);
    if (!worker.is_object())
      throw core::Error(CC_E_INVALID, "stdin is not a worker JSON object");
    log = log.child({{"worker", worker.value("name", std::string())}});
    run_command(argv, std::move(worker), conn_.key_team_, conn_.shared_.options, conn_.shared_.atc,
                *this, log);
  } catch (const std::exception& e) {
    status = 1;
    error = e.what();
    log.warn("command-failed", {{"error", error}});
  }
  // The last thing this thread does: once finish() ran, nothing else refers to the channel.
  conn_.loop_.post([this, status, error] { finish(status, error); });
}

void CommandChannel::finish(int status, const std::string& error) {
  if (reported_)
    return;
  reported_ = true;
  if (remote_closed_ || !ssh_channel_is_open(channel_))
    return;
  if (!error.empty()) {
    std::string line = error + "\n";
    ssh_channel_write_stderr(channel_, line.data(), static_cast<uint32_t>(line.size()));
  }
  ssh_channel_request_send_exit_status(channel_, status);
  ssh_channel_send_eof(channel_);
  ssh_channel_close(channel_);
}

void CommandChannel::write_stdout(const std::string& data) {
  conn_.loop_.post([this, data] {
    if (!reported_ && !remote_closed_ && ssh_channel_is_open(channel_))
      ssh_channel_write(channel_, data.data(), static_cast<uint32_t>(data.size()));
  });
}

bool CommandChannel::wait_cancelled(std::chrono::nanoseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, d, [this] { return cancelled_; });
  return cancelled_;
}

std::vector<Forward> CommandChannel::wait_forwards(size_t n, std::chrono::nanoseconds timeout) {
  return conn_.wait_forwards(n, timeout);
}

void CommandChannel::stop_forwarding() {
  conn_.stop_forwarding();
}

}  // namespace concourse::tsa
