#include "support/worker_process.hpp"

#include <ftw.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

namespace concourse::testing {

WorkerProcess::WorkerProcess(std::string binary, std::vector<std::string> args)
    : process_(std::move(binary), "worker", std::move(args)) {}

void WorkerProcess::start(std::chrono::milliseconds timeout) {
  try {
    auto ready = process_.start("worker-ready", timeout);
    endpoints_.garden = port_of(ready.value("garden", ""));
    endpoints_.baggageclaim = port_of(ready.value("baggageclaim", ""));
    endpoints_.health = port_of(ready.value("healthcheck", ""));
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("worker: ") + e.what());
  }
}

int WorkerProcess::stop(int sig, std::chrono::milliseconds timeout) {
  return process_.stop(sig, timeout);
}

std::vector<std::string> test_worker_args(const std::string& work_dir,
                                          const std::string& plugin_dir,
                                          const std::string& runtime) {
  return {"--work-dir",
          work_dir,
          "--plugin-dir",
          plugin_dir,
          "--runtime",
          runtime,
          "--bind-port",
          "0",
          "--baggageclaim-bind-port",
          "0",
          "--healthcheck-bind-ip",
          "127.0.0.1",
          "--healthcheck-bind-port",
          "0",
          "--log-format",
          "json",
          "--log-level",
          "debug"};
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "cc-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  // nftw with FTW_MOUNT never crosses into another filesystem, so a leftover bind mount of /proc
  // or /dev inside a test's rootfs can never be "cleaned up" along with the temp dir.
  ::nftw(
      path_.c_str(),
      [](const char* p, const struct stat*, int type, struct FTW*) {
        if (type == FTW_DP)
          ::rmdir(p);
        else
          ::unlink(p);
        return 0;
      },
      32, FTW_MOUNT | FTW_DEPTH | FTW_PHYS);
}

}  // namespace concourse::testing
