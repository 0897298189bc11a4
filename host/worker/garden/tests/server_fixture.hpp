// A Garden server on a loopback port 0 in front of a FakeRuntime whose exits reach the server
// the way the plugin host delivers them.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "worker/garden/server.hpp"
#include "worker/garden/tests/fake_runtime.hpp"
#include "worker/garden/tests/garden_client.hpp"

namespace concourse::worker::garden::testing {

// Polls a condition until it holds or the deadline passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

class GardenServerTest : public ::testing::Test {
 protected:
  void TearDown() override { shutdown(); }

  void start(ServerOptions options = {}, uint64_t capabilities = kFakeCapabilities,
             const std::function<void(cc_runtime_vtable&)>& tweak = {}) {
    fake_ = std::make_unique<FakeRuntime>(capabilities);
    if (tweak)
      tweak(fake_->vtable());
    options.bind_ip = "127.0.0.1";
    options.bind_port = 0;
    server_ =
        std::make_unique<Server>(options, fake_->binding(), concourse::log::Logger("garden-test"));
    fake_->set_notify([this](uint64_t token, int32_t status, std::string_view error) {
      server_->on_process_exit(token, status, error);
    });
    server_->start();
  }

  // A new server in front of the same runtime, as after a worker restart.
  void restart(ServerOptions options = {}) {
    server_->stop();
    fake_->set_notify(nullptr);
    server_.reset();
    options.bind_ip = "127.0.0.1";
    options.bind_port = 0;
    server_ =
        std::make_unique<Server>(options, fake_->binding(), concourse::log::Logger("garden-test"));
    fake_->set_notify([this](uint64_t token, int32_t status, std::string_view error) {
      server_->on_process_exit(token, status, error);
    });
    server_->start();
  }

  void shutdown() {
    if (server_)
      server_->stop();
    if (fake_)
      fake_->set_notify(nullptr);
    server_.reset();
    fake_.reset();
  }

  uint16_t port() const { return server_->port(); }

  HttpReply create(const std::string& handle, const std::string& extra = "") {
    std::string body = "{\"handle\":\"" + handle + "\"" + (extra.empty() ? "" : "," + extra) + "}";
    return http(port(), "POST", "/containers", body);
  }

  std::unique_ptr<FakeRuntime> fake_;
  std::unique_ptr<Server> server_;
};

}  // namespace concourse::worker::garden::testing
