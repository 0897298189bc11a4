// hello-runtime: the smallest useful runtime plugin, written against <concourse/sdk.hpp> alone.
// Containers live in memory (with their properties); processes run on the host with pipes.
// It shows the shape of a plugin: a Runtime subclass, exceptions for errors, one export line.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <concourse/sdk.hpp>

#include <condition_variable>
#include <csignal>
#include <map>
#include <mutex>
#include <thread>

extern char** environ;

namespace {

using concourse::sdk::Call;
using concourse::sdk::Error;

struct Exit {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int status = 0;
};

class HelloProcess : public concourse::sdk::Process {
 public:
  HelloProcess(pid_t pid, std::shared_ptr<Exit> exit) : pid_(pid), exit_(std::move(exit)) {}
  void signal(int32_t sig) override { ::kill(pid_, sig == CC_SIGNAL_KILL ? SIGKILL : SIGTERM); }
  int32_t wait(const Call&) override {
    std::unique_lock lock(exit_->mu);
    exit_->cv.wait(lock, [&] { return exit_->done; });
    return exit_->status;
  }

 private:
  pid_t pid_;
  std::shared_ptr<Exit> exit_;
};

class HelloRuntime : public concourse::sdk::Runtime {
 public:
  HelloRuntime(const concourse::sdk::Host& host, const concourse::sdk::InstanceParams&)
      : Runtime(host) {}
  ~HelloRuntime() override {
    for (auto& t : waiters_)
      t.join();
  }

  cc_capacity capacity(const Call&) override {
    cc_capacity c{};
    c.max_containers = 100;
    return c;
  }
  void create(const Call&, const concourse::sdk::ContainerSpec& spec) override {
    std::lock_guard lock(mu_);
    if (!containers_.emplace(spec.handle, spec.properties).second) {
      throw Error(CC_E_EXISTS, "handle already exists: " + spec.handle);
    }
  }
  void destroy(const Call&, const std::string& handle) override {
    std::lock_guard lock(mu_);
    containers_.erase(handle);
  }
  std::vector<std::string> list(const Call&, const concourse::sdk::Properties& filter) override {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& [h, props] : containers_) {
      bool ok = true;
      for (const auto& [k, v] : filter)
        ok = ok && props.count(k) && props.at(k) == v;
      if (ok)
        out.push_back(h);
    }
    return out;
  }
  concourse::sdk::ContainerInfo info(const Call& call, const std::string& handle) override {
    concourse::sdk::ContainerInfo i;
    i.properties = properties(call, handle);
    return i;
  }
  concourse::sdk::Properties properties(const Call&, const std::string& handle) override {
    std::lock_guard lock(mu_);
    return at(handle);
  }
  void set_property(const Call&, const std::string& h, const std::string& k,
                    const std::string& v) override {
    std::lock_guard lock(mu_);
    at(h)[k] = v;
  }
  void remove_property(const Call&, const std::string& h, const std::string& k) override {
    std::lock_guard lock(mu_);
    if (at(h).erase(k) == 0)
      throw Error(CC_E_NOT_FOUND, "property not found: " + k);
  }
  std::unique_ptr<concourse::sdk::Process> run(const Call&, const std::string& handle,
                                               const concourse::sdk::ProcessSpec& spec,
                                               uint64_t token,
                                               concourse::sdk::ProcessIo& io) override {
    {
      std::lock_guard lock(mu_);
      at(handle);
    }
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) {
      throw Error(CC_E_INTERNAL, "pipe failed");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> argv{const_cast<char*>(spec.path.c_str())};
    for (const auto& a : spec.args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, spec.path.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
      for (int fd : {in[1], out[0], err[0]})
        ::close(fd);
      throw Error(CC_E_NOT_FOUND, "executable not found: " + spec.path);
    }
    io.stdin_fd = in[1];
    io.stdout_fd = out[0];
    io.stderr_fd = err[0];
    auto exit = std::make_shared<Exit>();
    std::lock_guard lock(mu_);
    // A thread per process keeps the example short; a real runtime would use pidfds + epoll.
    waiters_.emplace_back([this, pid, exit, token] {
      int status = 0;
      ::waitpid(pid, &status, 0);
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      {
        std::lock_guard l(exit->mu);
        exit->done = true;
        exit->status = code;
      }
      exit->cv.notify_all();
      host().notify_process_exit(token, code);
    });
    return std::make_unique<HelloProcess>(pid, exit);
  }

 private:
  concourse::sdk::Properties& at(const std::string& handle) {
    auto it = containers_.find(handle);
    if (it == containers_.end())
      throw Error(CC_E_NOT_FOUND, "unknown handle: " + handle);
    return it->second;
  }

  std::mutex mu_;
  std::map<std::string, concourse::sdk::Properties> containers_;
  std::vector<std::thread> waiters_;
};

}  // namespace

CONCOURSE_SDK_DEFINE_PLUGIN(CC_KIND_RUNTIME, "hello", "0.1.0",
                            "example third-party runtime: in-memory containers, host processes", 0,
                            0, concourse::sdk::runtime_vtable<HelloRuntime>())
