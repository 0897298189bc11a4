// A test double of the ATC endpoints the TSA calls (reference §3.3 and the token endpoint),
// on a real Poco HTTP server on 127.0.0.1:0. It keeps workers in memory, answers like the ATC
// (heartbeat 404 once a worker is gone, the stored JSON otherwise) and records every call.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace concourse::tsa::testing {

struct Call {
  std::string method;
  std::string path;   // without the query
  std::string query;  // without '?'
  std::string body;
  std::string authorization;
  std::chrono::steady_clock::time_point at;
};

class FakeAtc {
 public:
  static constexpr const char* kClientId = "concourse-worker";
  static constexpr const char* kClientSecret = "s3cret";

  FakeAtc();
  ~FakeAtc();
  uint16_t port() const;
  std::string url() const;

  std::vector<Call> calls() const;
  std::vector<Call> calls(const std::string& method, const std::string& path) const;
  int token_requests() const;
  // Waits until pred() holds (re-checked after every call); false on timeout.
  bool wait_for(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  // Stored worker JSON (null when unknown) and its state.
  nlohmann::json worker(const std::string& name) const;
  void set_state(const std::string& name, const std::string& state);
  void remove_worker(const std::string& name);
  // Next request presenting the current token gets 401 (as if it expired server-side).
  void revoke_token();
  // Body of GET /api/v1/{containers,volumes}/destroying.
  void set_destroying(const std::string& kind, const std::string& json_array);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace concourse::tsa::testing
