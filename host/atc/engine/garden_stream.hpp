// An interactive Garden process (reference §4.3) for hijacking: unlike GardenClient::run, stdin
// is sent as it arrives, the tty can be resized and output is polled by the caller, so one
// thread can pump it to a WebSocket while another feeds stdin.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace concourse::atc::engine {

class GardenStream {
 public:
  GardenStream(const std::string& garden_addr, std::string handle);
  ~GardenStream();

  // Starts the process (Garden ProcessSpec JSON). Throws; executable_not_found() tells whether
  // the path could not be run.
  void start(const nlohmann::json& process_spec);
  bool executable_not_found() const { return not_found_; }

  // Thread-safe against poll().
  void send_stdin(const std::string& data);
  void close_stdin();
  void resize(int columns, int rows);
  void signal(int which);  // 0 terminate, 1 kill

  // Waits up to timeout_ms and hands over output; false once the process exited and its
  // output drained (then exit_status() or error() says how).
  bool poll(int timeout_ms, const std::function<void(const std::string&)>& on_stdout,
            const std::function<void(const std::string&)>& on_stderr);
  std::optional<int> exit_status() const { return exit_; }
  const std::string& error() const { return error_; }

 private:
  struct Conn;
  void frame(const nlohmann::json& j);

  std::string host_;
  uint16_t port_ = 0;
  std::string handle_, pid_;
  std::unique_ptr<Conn> control_, out_, err_;
  std::mutex send_mu_;
  std::optional<int> exit_;
  std::string error_;
  bool done_ = false, not_found_ = false;
};

// GET /containers/:handle/properties of a Garden server.
std::map<std::string, std::string> garden_properties(const std::string& garden_addr,
                                                     const std::string& handle);

}  // namespace concourse::atc::engine
