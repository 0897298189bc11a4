#include "support/git_server.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/http.hpp"

namespace concourse::testing {

GitServer::GitServer() : repo_(dir_.path() + "/app"), port_(free_port()) {
  shell("cd '" + dir_.path() + "' && git init -q -b main app");
  commit("v1");
  shell("git daemon --export-all --reuseaddr --detach --listen=127.0.0.1 --port=" +
        std::to_string(port_) + " --base-path='" + dir_.path() + "' --pid-file='" + dir_.path() +
        "/pid' '" + dir_.path() + "'");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::system(("git ls-remote " + uri() + " >/dev/null 2>&1").c_str()) == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("git daemon did not answer on " + uri());
}

GitServer::~GitServer() {
  [[maybe_unused]] int rc =
      std::system(("kill $(cat '" + dir_.path() + "/pid') 2>/dev/null").c_str());
}

void GitServer::commit(const std::string& content) {
  std::ofstream(repo_ + "/file") << content << "\n";
  shell("cd '" + repo_ + "' && git add file && git -c user.email=e2e@example.com " +
        "-c user.name=e2e commit -qm '" + content + "'");
}

}  // namespace concourse::testing
