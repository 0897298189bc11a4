// The engine's client of a worker's Garden server (reference §4). Plain requests go through
// Poco's HTTP client; Run uses the hijacked-connection protocol (§4.3): one control connection
// carrying newline-delimited JSON frames both ways, stdout and stderr on two more connections
// keyed by the stream id, each chunk handed to a callback as soon as it arrives.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace concourse::atc::engine {

struct BindMount {
  std::string src_path;
  std::string dst_path;
  bool read_write = false;
};

struct ContainerSpec {
  std::string handle;
  std::string rootfs;  // "raw:///abs/path", or "" for a runtime without one
  std::vector<std::string> env;
  std::vector<BindMount> bind_mounts;
  std::map<std::string, std::string> properties;
  int64_t grace_time_ns = 0;
  bool privileged = false;
};

struct ProcessSpec {
  std::string id;
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string dir;
  std::string user;
  bool tty = false;
};

struct ProcessIo {
  std::string stdin_data;                             // sent then closed
  std::function<void(const std::string&)> on_stdout;  // may be empty
  std::function<void(const std::string&)> on_stderr;  // may be empty
  // Polled about every 100 ms while the process runs; true asks it to stop: signal terminate,
  // then kill after kill_after.
  std::function<bool()> should_stop;
  std::chrono::milliseconds kill_after{1000};
};

struct ProcessOutcome {
  std::optional<int> exit_status;  // absent when stopped without one or on a runtime error
  std::string error;
  bool stopped = false;  // should_stop fired
};

class GardenClient {
 public:
  explicit GardenClient(std::string addr);  // "host:port"

  void ping();
  std::string create(const ContainerSpec& spec);
  void destroy(const std::string& handle);
  void set_grace_time(const std::string& handle, int64_t ns);
  std::vector<std::string> list(const std::map<std::string, std::string>& properties = {});

  ProcessOutcome run(const std::string& handle, const ProcessSpec& spec, const ProcessIo& io);

  // Tar streams between a container path and the caller: `tar` is read to its end.
  void stream_in(const std::string& handle, const std::string& destination, std::istream& tar);
  void stream_out(const std::string& handle, const std::string& source,
                  const std::function<void(const char*, size_t)>& sink);

 private:
  nlohmann::json request(const std::string& method, const std::string& path,
                         const std::string& body = "");

  std::string host_;
  uint16_t port_ = 0;
};

nlohmann::json to_json(const ContainerSpec& spec);
nlohmann::json to_json(const ProcessSpec& spec);

}  // namespace concourse::atc::engine
