// `concourse quickstart` plus `fly` as a user drives them, for e2e tests: a private work dir
// and HOME, every port picked by the kernel, fly logged in as target `qs` once the worker runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "support/concourse_process.hpp"
#include "support/worker_process.hpp"

namespace concourse::testing {

struct FlyRun {
  int exit_code = -1;
  std::string out;  // stdout and stderr together, in order
};

// quickstart's flags for a test: kernel-picked ports, worker `qs`, 1 s heartbeats, JSON logs.
std::vector<std::string> quickstart_test_args(const std::string& work_dir);

class Quickstart {
 public:
  // extra: flags appended to quickstart's own; fly is the path of the fly binary.
  Quickstart(std::string concourse_bin, std::string fly_bin, std::vector<std::string> extra = {});
  ~Quickstart();

  // Starts quickstart, logs fly in and waits for its worker to be running; throws with the log.
  void start();
  int stop();  // SIGTERM; returns the exit status

  // fly -t qs ARGS: run() never throws, fly() throws on a non-zero exit with the output.
  FlyRun run(const std::string& args) const;
  std::string fly(const std::string& args) const;

  const std::string& work_dir() const { return work_; }
  const std::string& home() const { return home_.path(); }
  std::string url() const { return url_; }
  ConcourseProcess& process() { return *proc_; }

 private:
  std::string concourse_bin_, fly_bin_;
  std::vector<std::string> extra_;
  TempDir parent_, home_;
  std::string work_, url_;
  std::unique_ptr<ConcourseProcess> proc_;
};

}  // namespace concourse::testing
