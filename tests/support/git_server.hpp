// A git repository with one file, served read-only by `git daemon` on loopback for as long as
// the object lives: resource containers are chrooted, so a path on disk would not reach them.
#pragma once

#include <cstdint>
#include <string>

#include "support/worker_process.hpp"

namespace concourse::testing {

class GitServer {
 public:
  GitServer();  // a repository `app` on branch main with one commit ("v1"); throws if unserved
  ~GitServer();
  GitServer(const GitServer&) = delete;
  GitServer& operator=(const GitServer&) = delete;

  std::string uri() const { return "git://127.0.0.1:" + std::to_string(port_) + "/app"; }
  const std::string& repo_dir() const { return repo_; }
  // Writes content to `file` and commits it with content as the message.
  void commit(const std::string& content);

 private:
  TempDir dir_;
  std::string repo_;
  uint16_t port_;
};

}  // namespace concourse::testing
