// The engine's client of a worker's Baggageclaim server (reference §5): volumes are created with
// the async route and polled, as the ATC does, and tar streams are passed through without being
// held in memory.
#pragma once

#include <functional>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace concourse::atc::engine {

struct Volume {
  std::string handle;
  std::string path;
};

class BaggageclaimClient {
 public:
  explicit BaggageclaimClient(const std::string& url);  // http://host:port

  // strategy: {"type":"empty"} | {"type":"cow","volume":H} | {"type":"import","path":P}
  Volume create(const std::string& handle, const nlohmann::json& strategy,
                const std::map<std::string, std::string>& properties, bool privileged = false);
  std::optional<Volume> lookup(const std::string& handle);
  void destroy(const std::string& handle);
  void set_property(const std::string& handle, const std::string& key, const std::string& value);

  // `tar` (uncompressed) is read to its end and unpacked under path (relative to the volume).
  void stream_in(const std::string& handle, const std::string& path, std::istream& tar);
  // A plain tar of path (relative to the volume) is handed to sink chunk by chunk.
  void stream_out(const std::string& handle, const std::string& path,
                  const std::function<void(const char*, size_t)>& sink);

 private:
  nlohmann::json request(const std::string& method, const std::string& path,
                         const std::string& body, int* status = nullptr);

  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace concourse::atc::engine
