// Garden processes as containerd task execs: run, attach after a restart, signals, exits.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "labels.hpp"
#include "runtime.hpp"
#include "spec.hpp"

namespace concourse::containerd {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kRlimitNames[CC_RLIMIT_COUNT] = {
    "RLIMIT_AS",    "RLIMIT_CORE",    "RLIMIT_CPU",      "RLIMIT_DATA",       "RLIMIT_FSIZE",
    "RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",       "RLIMIT_NOFILE",
    "RLIMIT_NPROC", "RLIMIT_RSS",     "RLIMIT_RTPRIO",   "RLIMIT_SIGPENDING", "RLIMIT_STACK"};

struct User {
  uint32_t uid = 0, gid = 0;
  std::string name = "root", home = "/root";
};

// Looks the user up in the rootfs's /etc/passwd, as Concourse's containerd backend does.
User lookup_user(const std::string& rootfs, const std::string& name) {
  User u;
  if (name.empty() || name == "root")
    return u;
  std::ifstream passwd(rootfs + "/etc/passwd");
  std::string line;
  while (std::getline(passwd, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string part; std::getline(ss, part, ':');)
      f.push_back(part);
    if (f.size() >= 6 && f[0] == name) {
      u.name = name;
      u.uid = static_cast<uint32_t>(std::stoul(f[2]));
      u.gid = static_cast<uint32_t>(std::stoul(f[3]));
      u.home = f[5];
      return u;
    }
  }
  throw sdk::Error(CC_E_NOT_FOUND, "user not found in the container's /etc/passwd: " + name);
}

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto key = kv.substr(0, kv.find('=') + 1);
  for (auto& e : env) {
    if (e.rfind(key, 0) == 0) {
      e = kv;
      return;
    }
  }
  env.push_back(kv);
}

class ContainerdProcess final : public sdk::Process {
 public:
  ContainerdProcess(ContainerdRuntime& rt, std::shared_ptr<Proc> p) : rt_(rt), p_(std::move(p)) {}
  ~ContainerdProcess() override { rt_.release(p_); }
  void signal(int32_t sig) override {
    {
      std::lock_guard lock(p_->mu);
      if (p_->exited)
        return;
    }
    rt_.client().kill(p_->handle, p_->id, sig == CC_SIGNAL_KILL ? SIGKILL : SIGTERM, false);
  }
  void resize(cc_tty_size size) override {
    rt_.client().resize(p_->handle, p_->id, size.columns, size.rows);
  }
  int32_t wait(const sdk::Call& call) override {
    std::unique_lock lock(p_->mu);
    while (!p_->cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return p_->exited; })) {
      if (call.cancelled())
        throw sdk::Error(CC_E_CANCELLED, "wait cancelled");
    }
    return p_->status;
  }

 private:
  ContainerdRuntime& rt_;
  std::shared_ptr<Proc> p_;
};

// containerd reports a missing executable as an unknown error; Garden wants "not found".
[[noreturn]] void rethrow_exec_error(const sdk::Error& e) {
  std::string m = e.what();
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos)
    throw sdk::Error(CC_E_NOT_FOUND, m);
  throw e;
}

}  // namespace

std::string ContainerdRuntime::process_json(const ContainerRecord& c, const sdk::ProcessSpec& spec,
                                            const std::string& rootfs) {
  auto container_spec = json::parse(c.spec_json, nullptr, false);
  json proc = container_spec.is_object() && container_spec.contains("process")
                  ? container_spec["process"]
                  : json::object();
  User u = lookup_user(rootfs, spec.user);
  std::vector<std::string> env = proc.value("env", std::vector<std::string>{});
  for (const auto& kv : spec.env)
    set_env(env, kv);
  bool has_path = false;
  for (const auto& e : env)
    has_path = has_path || e.rfind("PATH=", 0) == 0;
  if (!has_path)
    env.push_back(std::string("PATH=") + kDefaultPath);
  set_env(env, "USER=" + u.name);
  bool has_home = false;
  for (const auto& e : env)
    has_home = has_home || e.rfind("HOME=", 0) == 0;
  if (!has_home)
    env.push_back("HOME=" + u.home);
  std::vector<std::string> args = {spec.path};
  args.insert(args.end(), spec.args.begin(), spec.args.end());
  proc["args"] = args;
  proc["env"] = env;
  proc["user"] = {{"uid", u.uid}, {"gid", u.gid}};
  std::string cwd = spec.dir.empty() ? "/" : spec.dir;
  proc["cwd"] = cwd;
  // runc refuses a missing cwd; Garden creates it.
  std::error_code ec;
  fs::create_directories(fs::path(rootfs) / fs::path(cwd).relative_path(), ec);
  proc["terminal"] = spec.tty.has_value();
  if (spec.tty && spec.tty->columns != 0)
    proc["consoleSize"] = {{"width", spec.tty->columns}, {"height", spec.tty->rows}};
  if (spec.rlimits) {
    json rl = proc.value("rlimits", json::array());
    for (int i = 0; i < CC_RLIMIT_COUNT; ++i) {
      if ((spec.rlimits->set_mask & (1u << i)) == 0)
        continue;
      uint64_t v = spec.rlimits->value[i];
      json entry = {{"type", kRlimitNames[i]}, {"hard", v}, {"soft", v}};
      bool replaced = false;
      for (auto& r : rl) {
        if (r.value("type", "") == kRlimitNames[i]) {
          r = entry;
          replaced = true;
        }
      }
      if (!replaced)
        rl.push_back(entry);
    }
    proc["rlimits"] = rl;
  }
  return proc.dump();
}

std::shared_ptr<Proc> ContainerdRuntime::track(const std::string& handle, const std::string& id,
                                               uint64_t token) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(handle, id);
  if (auto it = procs_.find(key); it != procs_.end()) {
    std::lock_guard plock(it->second->mu);
    if (!it->second->exited)
      throw sdk::Error(CC_E_EXISTS, "process already running: " + id);
  }
  auto p = std::make_shared<Proc>();
  p->handle = handle;
  p->id = id;
  p->token = token;
  procs_[key] = p;
  return p;
}

std::unique_ptr<sdk::Process> ContainerdRuntime::run(const sdk::Call&, const std::string& handle,
                                                     const sdk::ProcessSpec& spec,
                                                     uint64_t exit_token, sdk::ProcessIo& io) {
  auto c = find(handle);
  if (spec.id.empty())
    throw sdk::Error(CC_E_INVALID, "a process id is required");
  if (spec.limits && (spec.limits->memory_limit_in_bytes || spec.limits->cpu_limit_in_shares))
    throw sdk::Error(CC_E_UNSUPPORTED, "containerd runtime: per-process limits are not supported");
  std::string rootfs = labels::get(c.labels, labels::kRootfs);
  std::string pjson = process_json(c, spec, rootfs);
  auto p = track(handle, spec.id, exit_token);
  // An exited exec of the same id still sits in the shim until deleted.
  if (auto old = client_->get(handle, spec.id); old && old->stopped)
    client_->delete_process(handle, spec.id);
  auto paths = fifo_paths(fifo_dir(handle, spec.id), spec.tty.has_value());
  try {
    make_fifos(paths);
    p->ends.open(paths);
    ExecRequest r{handle,
                  spec.id,
                  pjson,
                  paths.stdin_path,
                  paths.stdout_path,
                  paths.stderr_path,
                  spec.tty.has_value()};
    try {
      client_->exec(r);
      client_->start(handle, spec.id);
    } catch (const sdk::Error& e) {
      client_->delete_process(handle, spec.id);
      rethrow_exec_error(e);
    }
  } catch (...) {
    std::lock_guard lock(mu_);
    procs_.erase({handle, spec.id});
    throw;
  }
  io = p->ends.release_to_host();
  io.stdin_fd = stdin_for(handle, spec.id, paths.stdin_path);
  return std::make_unique<ContainerdProcess>(*this, p);
}

std::unique_ptr<sdk::Process> ContainerdRuntime::attach(const sdk::Call&, const std::string& handle,
                                                        const std::string& id, uint64_t exit_token,
                                                        sdk::ProcessIo& io) {
  find(handle);
  auto st = client_->get(handle, id);
  auto paths = fifo_paths(fifo_dir(handle, id), false);
  if (!st || !fs::exists(paths.stdout_path))
    throw sdk::Error(CC_E_NOT_FOUND, "unknown process: " + id);
  if (!fs::exists(paths.stderr_path))
    paths.stderr_path.clear();  // it has a terminal
  auto p = track(handle, id, exit_token);
  try {
    p->ends.open(paths);
  } catch (...) {
    std::lock_guard lock(mu_);
    procs_.erase({handle, id});
    throw;
  }
  io = p->ends.release_to_host();
  io.stdin_fd = stdin_for(handle, id, paths.stdin_path);
  // It may have exited while nobody was attached: report that now (the exit event is long gone).
  if (auto now = client_->get(handle, id); !now || now->stopped)
    finish(p, now ? static_cast<int32_t>(now->exit_status) : 137, now ? "" : "process vanished");
  return std::make_unique<ContainerdProcess>(*this, p);
}

int ContainerdRuntime::stdin_for(const std::string& handle, const std::string& id,
                                 const std::string& fifo) {
  return pumps_.start(fifo, [this, handle, id] {
    try {
      client_->close_stdin(handle, id);
    } catch (const std::exception& e) {
      host().debug("close-stdin-failed", {{"handle", handle}, {"error", e.what()}});
    }
  });
}

void ContainerdRuntime::finish(const std::shared_ptr<Proc>& p, int32_t status,
                               const std::string& error) {
  bool notify = false, released = false;
  {
    std::lock_guard lock(p->mu);
    if (!p->exited) {
      p->exited = true;
      p->status = status;
    }
    p->ends.close_keepalive();  // the shim's writers are the last ones: the host sees EOF
    notify = !p->notified;
    p->notified = true;
    released = p->released;
  }
  p->cv.notify_all();
  if (notify)
    host().notify_process_exit(p->token, status, error);
  if (released)
    forget(p);
}

void ContainerdRuntime::forget(const std::shared_ptr<Proc>& p) {
  {
    std::lock_guard lock(mu_);
    auto it = procs_.find({p->handle, p->id});
    if (it != procs_.end() && it->second == p)
      procs_.erase(it);
  }
  try {
    client_->delete_process(p->handle, p->id);
  } catch (const std::exception& e) {
    host().debug("delete-process-failed", {{"handle", p->handle}, {"error", e.what()}});
  }
  std::error_code ec;
  fs::remove_all(fifo_dir(p->handle, p->id), ec);
}

void ContainerdRuntime::release(const std::shared_ptr<Proc>& p) {
  bool exited = false;
  {
    std::lock_guard lock(p->mu);
    p->released = true;
    exited = p->exited;
  }
  if (exited)
    forget(p);  // otherwise finish() does, once it exits
}

void ContainerdRuntime::on_exit(const TaskExitEvent& e) {
  if (e.exec_id == e.container_id)
    return;  // the init: the container stays until destroyed
  std::shared_ptr<Proc> p;
  {
    std::lock_guard lock(mu_);
    auto it = procs_.find({e.container_id, e.exec_id});
    if (it == procs_.end())
      return;
    p = it->second;
  }
  try {
    finish(p, static_cast<int32_t>(e.exit_status), "");
  } catch (const std::exception& ex) {
    host().warn("process-exit-failed", {{"handle", e.container_id}, {"error", ex.what()}});
  }
}

void ContainerdRuntime::on_synced() {
  // The stream was down (containerd restarted, or this is the first subscription): exits may
  // have happened meanwhile, so ask for the state of every process we hold.
  std::vector<std::shared_ptr<Proc>> held;
  {
    std::lock_guard lock(mu_);
    for (auto& [k, p] : procs_)
      held.push_back(p);
  }
  for (auto& p : held) {
    try {
      auto st = client_->get(p->handle, p->id);
      if (!st || st->stopped)
        finish(p, st ? static_cast<int32_t>(st->exit_status) : 137, st ? "" : "process vanished");
    } catch (const std::exception& e) {
      host().warn("process-sync-failed", {{"handle", p->handle}, {"error", e.what()}});
    }
  }
}

}  // namespace concourse::containerd
