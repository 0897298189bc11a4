#include "houdini.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "spawn.hpp"

extern char** environ;

namespace concourse::houdini {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void validate_handle(const std::string& h) {
  if (h.empty() || h.size() > 255 || h == "." || h == ".." || h.find('/') != std::string::npos ||
      h.find('\0') != std::string::npos) {
    throw sdk::Error(CC_E_INVALID, "invalid handle '" + h + "'");
  }
}

// Host env, then container env, then process env: later entries win, as in houdini.
std::vector<std::string> merge_env(const std::vector<std::string>& container,
                                   const std::vector<std::string>& process) {
  std::vector<std::string> out;
  std::map<std::string, size_t> index;
  auto add = [&](const std::string& kv) {
    auto key = kv.substr(0, kv.find('='));
    if (auto it = index.find(key); it != index.end()) {
      out[it->second] = kv;
    } else {
      index[key] = out.size();
      out.push_back(kv);
    }
  };
  for (char** e = environ; *e != nullptr; ++e)
    add(*e);
  for (const auto& kv : container)
    add(kv);
  for (const auto& kv : process)
    add(kv);
  return out;
}

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  for (const auto& kv : env) {
    if (kv.rfind(key + "=", 0) == 0)
      return kv.substr(key.size() + 1);
  }
  return "";
}

class HoudiniProcess final : public sdk::Process {
 public:
  explicit HoudiniProcess(std::shared_ptr<ProcState> st) : st_(std::move(st)) {}
  void signal(int32_t sig) override {
    std::lock_guard lock(st_->mu);
    if (st_->exited)
      return;
    // The process leads its own group: signal everything it started too.
    ::kill(-st_->pid, sig == CC_SIGNAL_KILL ? SIGKILL : SIGTERM);
  }
  void resize(cc_tty_size size) override {
    if (st_->tty_fd < 0)
      throw sdk::Error(CC_E_INVALID, "process has no terminal");
    winsize ws{};
    ws.ws_col = static_cast<unsigned short>(size.columns);
    ws.ws_row = static_cast<unsigned short>(size.rows);
    ::ioctl(st_->tty_fd, TIOCSWINSZ, &ws);
  }
  int32_t wait(const sdk::Call& call) override {
    std::unique_lock lock(st_->mu);
    while (!st_->cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return st_->exited; })) {
      if (call.cancelled())
        throw sdk::Error(CC_E_CANCELLED, "wait cancelled");
    }
    return st_->status;
  }

 private:
  std::shared_ptr<ProcState> st_;
};

}  // namespace

Config parse_config(const sdk::InstanceParams& params) {
  auto j = nlohmann::json::parse(params.config_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw sdk::Error(CC_E_INVALID, "houdini config must be a JSON object");
  }
  Config c;
  c.depot = j.value("depot", (fs::path(params.work_dir) / "containers").string());
  if (j.contains("max_containers")) {
    if (!j["max_containers"].is_number_unsigned()) {
      throw sdk::Error(CC_E_INVALID, "houdini config: max_containers must be a number >= 0");
    }
    c.max_containers = j["max_containers"].get<uint64_t>();
  }
  for (const auto& [k, v] : j.items()) {
    if (k != "depot" && k != "max_containers") {
      throw sdk::Error(CC_E_INVALID, "houdini config: unknown key '" + k + "'");
    }
  }
  return c;
}

Houdini::Houdini(const sdk::Host& host, const sdk::InstanceParams& params)
    : sdk::Runtime(host),
      config_(parse_config(params)),
      state_dir_((fs::path(params.data_dir) / "containers").string()) {
  fs::create_directories(config_.depot);
  for (auto& c : load_containers(state_dir_))
    restore(std::move(c));
  this->host().info("houdini-ready",
                    {{"depot", config_.depot}, {"containers", std::to_string(containers_.size())}});
}

Houdini::~Houdini() = default;

void Houdini::restore(Container c) {
  if (c.chroot) {
    // After a reboot our bind mounts are gone; put them back where they were.
    static const char* kHostPaths[] = {"/proc", "/dev", "/sys", "/etc/resolv.conf", "/etc/hosts"};
    for (const char* p : kHostPaths) {
      std::string target = c.root + p;
      if (!is_mount_point(target)) {
        try {
          bind_mount(p, target, true);
        } catch (const sdk::Error& e) {
          host().warn("restore-mount-failed", {{"handle", c.handle}, {"error", e.what()}});
        }
      }
    }
  }
  auto handle = c.handle;
  containers_[handle] = std::make_shared<Container>(std::move(c));
}

std::shared_ptr<Container> Houdini::find(const std::string& handle) {
  auto it = containers_.find(handle);
  if (it == containers_.end())
    throw sdk::Error(CC_E_NOT_FOUND, "unknown handle: " + handle);
  return it->second;
}

cc_capacity Houdini::capacity(const sdk::Call&) {
  cc_capacity cap{};
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  uint64_t kib = 0;
  while (meminfo >> key >> kib) {
    if (key == "MemTotal:")
      break;
    meminfo.ignore(256, '\n');
  }
  cap.memory_in_bytes = kib * 1024;
  struct statvfs vfs {};
  if (::statvfs(config_.depot.c_str(), &vfs) == 0) {
    cap.disk_in_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    cap.schedulable_disk_in_bytes = cap.disk_in_bytes;
  }
  cap.max_containers = config_.max_containers;
  return cap;
}

void Houdini::setup_rootfs_mounts(Container& c, const sdk::ContainerSpec& spec) {
  if (::geteuid() != 0) {
    throw sdk::Error(CC_E_PERMISSION,
                     "houdini needs root for a rootfs (it bind-mounts /proc, /dev and /sys into "
                     "it and chroots); run the worker as root or create the container without one");
  }
  try {
    for (const char* p : {"/proc", "/dev", "/sys", "/etc/resolv.conf", "/etc/hosts"}) {
      bind_mount(p, c.root + p, true);
      c.mounts.push_back(c.root + p);
    }
    for (const auto& b : spec.bind_mounts) {
      std::string target = inside(c.root, b.dst_path);
      bind_mount(b.src_path, target, !b.read_write);
      c.mounts.push_back(target);
    }
  } catch (...) {
    unmount_all(c.mounts);
    throw;
  }
}

void Houdini::create(const sdk::Call&, const sdk::ContainerSpec& spec) {
  validate_handle(spec.handle);
  std::lock_guard lock(mu_);
  if (containers_.count(spec.handle) != 0) {
    throw sdk::Error(CC_E_EXISTS, "handle already exists: " + spec.handle);
  }
  if (config_.max_containers != 0 && containers_.size() >= config_.max_containers) {
    throw sdk::Error(CC_E_LIMIT,
                     "max containers reached (" + std::to_string(config_.max_containers) + ")");
  }
  Container c;
  c.handle = spec.handle;
  c.env = spec.env;
  c.properties = spec.properties;
  c.grace_time_ns = spec.grace_time_ns;
  c.created_at_ns = realtime_ns();
  if (!spec.rootfs.empty()) {
    if (spec.rootfs.rfind("raw://", 0) != 0) {
      throw sdk::Error(CC_E_INVALID, "houdini supports raw:// rootfs only, got " + spec.rootfs);
    }
    c.root = spec.rootfs.substr(6);
    if (c.root.empty() || c.root[0] != '/' || !fs::is_directory(c.root)) {
      throw sdk::Error(CC_E_INVALID, "rootfs " + spec.rootfs + " is not an existing directory");
    }
    c.chroot = true;
    setup_rootfs_mounts(c, spec);
  } else {
    c.root = (fs::path(config_.depot) / spec.handle).string();
    fs::create_directories(c.root);
    for (const auto& b : spec.bind_mounts) {
      // Without a rootfs there is nothing to mount into: the destination becomes a symlink.
      fs::path link = inside(c.root, b.dst_path);
      fs::create_directories(link.parent_path());
      std::error_code ec;
      fs::remove(link, ec);
      fs::create_symlink(b.src_path, link);
    }
  }
  save_container(state_dir_, c);
  auto handle = c.handle;  // the move below happens before the map lookup
  containers_[handle] = std::make_shared<Container>(std::move(c));
}

void Houdini::destroy(const sdk::Call&, const std::string& handle) {
  std::shared_ptr<Container> c;
  {
    std::lock_guard lock(mu_);
    auto it = containers_.find(handle);
    if (it == containers_.end())
      return;  // idempotent
    c = it->second;
    containers_.erase(it);
    for (auto& [id, p] : c->processes)
      ::kill(-p->pid, SIGKILL);
  }
  unmount_all(c->mounts);
  if (!c->chroot) {
    std::error_code ec;
    fs::remove_all(c->root, ec);
  }
  remove_container_state(state_dir_, handle);
}

void Houdini::stop(const sdk::Call&, const std::string& handle, bool kill) {
  std::lock_guard lock(mu_);
  for (auto& [id, p] : find(handle)->processes)
    ::kill(-p->pid, kill ? SIGKILL : SIGTERM);
}

std::vector<std::string> Houdini::list(const sdk::Call&, const sdk::Properties& filter) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [h, c] : containers_) {
    bool match = true;
    for (const auto& [k, v] : filter) {
      auto it = c->properties.find(k);
      if (it == c->properties.end() || it->second != v)
        match = false;
    }
    if (match)
      out.push_back(h);
  }
  return out;
}

sdk::ContainerInfo Houdini::info(const sdk::Call&, const std::string& handle) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  sdk::ContainerInfo i;
  i.state = "active";
  i.container_path = c->root;
  i.host_ip = "127.0.0.1";
  i.container_ip = "127.0.0.1";  // no network namespace: the container is the host
  i.properties = c->properties;
  i.grace_time_ns = c->grace_time_ns;
  i.created_at_ns = c->created_at_ns;
  for (const auto& [id, p] : c->processes)
    i.process_ids.push_back(id);
  return i;
}

sdk::Properties Houdini::properties(const sdk::Call&, const std::string& handle) {
  std::lock_guard lock(mu_);
  return find(handle)->properties;
}

void Houdini::set_property(const sdk::Call&, const std::string& handle, const std::string& key,
                           const std::string& value) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  c->properties[key] = value;
  save_container(state_dir_, *c);
}

void Houdini::remove_property(const sdk::Call&, const std::string& handle, const std::string& key) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  if (c->properties.erase(key) == 0)
    throw sdk::Error(CC_E_NOT_FOUND, "property not found: " + key);
  save_container(state_dir_, *c);
}

void Houdini::set_grace_time(const sdk::Call&, const std::string& handle, int64_t ns) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  c->grace_time_ns = ns;
  save_container(state_dir_, *c);
}

std::unique_ptr<sdk::Process> Houdini::run(const sdk::Call&, const std::string& handle,
                                           const sdk::ProcessSpec& spec, uint64_t exit_token,
                                           sdk::ProcessIo& io) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  if (!spec.id.empty() && c->processes.count(spec.id) != 0) {
    throw sdk::Error(CC_E_EXISTS, "process already running: " + spec.id);
  }
  SpawnRequest req;
  req.env = merge_env(c->env, spec.env);
  std::string search = env_value(req.env, "PATH");
  if (c->chroot) {
    req.root = c->root;
    req.cwd = spec.dir.empty() ? "/" : inside("/", spec.dir);
    fs::create_directories(inside(c->root, req.cwd));
  } else {
    req.cwd = inside(c->root, spec.dir);
    fs::create_directories(req.cwd);
  }
  auto exe =
      resolve_executable(req.root, spec.path, search.empty() ? kDefaultPath : search, req.cwd);
  if (!exe)
    throw sdk::Error(CC_E_NOT_FOUND, "executable not found: " + spec.path);
  req.exec_path = *exe;
  req.argv.push_back(spec.path);
  req.argv.insert(req.argv.end(), spec.args.begin(), spec.args.end());
  req.tty = spec.tty;
  Spawned s = spawn_process(req);

  auto st = std::make_shared<ProcState>();
  st->id = spec.id;
  st->pid = s.pid;
  st->tty_fd = s.tty_fd;
  c->processes[spec.id] = st;
  std::weak_ptr<Container> weak = c;
  const sdk::Host& h = host();
  reaper_.watch(s.pid, s.pidfd, [this, st, weak, exit_token, &h](int status) {
    {
      std::lock_guard plock(st->mu);
      st->exited = true;
      st->status = status;
    }
    st->cv.notify_all();
    if (auto cont = weak.lock()) {
      std::lock_guard clock(mu_);
      auto it = cont->processes.find(st->id);
      if (it != cont->processes.end() && it->second == st)
        cont->processes.erase(it);
    }
    h.notify_process_exit(exit_token, status);
  });
  io.stdin_fd = s.stdin_fd;
  io.stdout_fd = s.stdout_fd;
  io.stderr_fd = s.stderr_fd;
  return std::make_unique<HoudiniProcess>(st);
}

void Houdini::stream_in(const sdk::Call& call, const std::string& handle, const std::string& dst,
                        const std::string&, int fd) {
  std::string dest;
  {
    std::lock_guard lock(mu_);
    dest = inside(find(handle)->root, dst);
  }
  fs::create_directories(dest);
  host().tar_extract(call.ctx(), dest, fd);
}

void Houdini::stream_out(const sdk::Call& call, const std::string& handle, const std::string& src,
                         const std::string&, int fd) {
  std::string path;
  {
    std::lock_guard lock(mu_);
    path = inside(find(handle)->root, src);
  }
  // Keep "dir/" meaning "the contents of dir", as Garden does.
  if (!src.empty() && src.back() == '/')
    path += "/";
  host().tar_create(call.ctx(), path, fd);
}

}  // namespace concourse::houdini
