#include "runtime.hpp"

#include <signal.h>
#include <sys/statvfs.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "labels.hpp"
#include "rootfs.hpp"
#include "spec.hpp"

namespace concourse::containerd {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kNamespace = "concourse";
constexpr const char* kInitPath = "/tmp/gdn-init";
constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
// Unprivileged containers: container root is the host's "maximum" id, every other id maps to
// itself, as Guardian (and Baggageclaim's namespaced volumes) do.
constexpr uint32_t kMaxId = 4294967294u;

// The init binary installed beside the `concourse` executable (the plugin itself is loaded from
// a private cache copy, so its own path says nothing), when the config names none.
std::string default_init_bin() {
  std::error_code ec;
  auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto p = exe.parent_path() / "runtime-containerd-init";
    if (fs::exists(p, ec))
      return p.string();
  }
  return "";
}

json limits_json(const cc_limits& l) {
  return {{"memory", l.memory_limit_in_bytes},
          {"cpu_shares", l.cpu_limit_in_shares},
          {"cpu_weight", l.cpu_weight},
          {"pids", l.pid_max}};
}

oci::Limits to_oci(const std::optional<cc_limits>& in) {
  oci::Limits l;
  if (!in)
    return l;
  if (in->disk_byte_hard || in->disk_byte_soft || in->disk_inode_hard || in->disk_inode_soft)
    throw sdk::Error(CC_E_UNSUPPORTED, "containerd runtime: disk limits are not supported");
  if (in->bandwidth_rate || in->bandwidth_burst)
    throw sdk::Error(CC_E_UNSUPPORTED, "containerd runtime: bandwidth limits are not supported");
  l.memory_bytes = in->memory_limit_in_bytes;
  l.cpu_shares = in->cpu_limit_in_shares != 0 ? in->cpu_limit_in_shares : in->cpu_weight;
  l.pids = static_cast<int64_t>(in->pid_max);
  return l;
}

}  // namespace

ContainerdRuntime::ContainerdRuntime(const sdk::Host& host, const sdk::InstanceParams& params)
    : sdk::Runtime(host),
      config_(parse_config(params)),
      dir_((fs::path(params.work_dir) / "containerd").string()) {
  init_bin_ = config_.init_bin.empty() ? default_init_bin() : config_.init_bin;
  if (init_bin_.empty() || !fs::exists(init_bin_)) {
    throw sdk::Error(CC_E_INVALID,
                     "containerd runtime: init binary not found (" +
                         (init_bin_.empty() ? "none beside the concourse binary" : init_bin_) +
                         "); set --containerd-init-bin");
  }
  // Parallel workers on one machine must not share cgroups or runc state.
  cgroup_parent_ = "/concourse-" + std::to_string(std::hash<std::string>{}(dir_) % 100000000);
  std::string socket = config_.socket;
  if (socket.empty()) {
    DaemonOptions o;
    o.bin = config_.bin;
    o.config = config_.config;
    o.dir = dir_;
    o.log_level = config_.log_level;
    daemon_ = std::make_unique<Daemon>(this->host(), o);
    socket = daemon_->socket();
    ::containerd::runc::v1::Options opts;
    opts.set_root(dir_ + "/runc");
    runc_options_ = opts.SerializeAsString();
  }
  client_ = std::make_unique<Client>(socket, kNamespace, config_.request_timeout);
  if (daemon_ == nullptr) {
    try {
      client_->version(std::chrono::milliseconds(5000));
    } catch (const std::exception& e) {
      throw sdk::Error(CC_E_UNAVAILABLE,
                       "cannot reach containerd at " + socket + ": " + std::string(e.what()));
    }
  }
  fs::create_directories(dir_ + "/containers");
  // runc, as an unprivileged container's mapped root, must traverse down to the rootfs: give the
  // work dir and ours search (not read) permission for others, as Guardian's depot has.
  for (const auto& d : {fs::path(params.work_dir), fs::path(dir_), fs::path(dir_) / "containers"})
    fs::permissions(d, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  events_ = std::make_unique<EventWatcher>(
      *client_, [this](const TaskExitEvent& e) { on_exit(e); }, [this] { on_synced(); });
  if (!events_->wait_synced(std::chrono::seconds(10)))
    throw sdk::Error(CC_E_UNAVAILABLE, "containerd events stream did not come up at " + socket);
  this->host().info("containerd-runtime-ready", {{"socket", socket}, {"dir", dir_}});
}

ContainerdRuntime::~ContainerdRuntime() {
  if (config_.destroy_on_exit) {
    try {
      destroy_all();
    } catch (const std::exception& e) {
      host().warn("destroy-on-exit-failed", {{"error", e.what()}});
    }
  }
  events_.reset();
}

void ContainerdRuntime::destroy_all() {
  sdk::Call none(host(), nullptr);
  for (const auto& c : client_->list_containers())
    destroy(none, c.id);
}

std::string ContainerdRuntime::container_dir(const std::string& handle) const {
  return dir_ + "/containers/" + handle;
}

std::string ContainerdRuntime::fifo_dir(const std::string& handle, const std::string& id) const {
  return container_dir(handle) + "/fifos/" + id;
}

ContainerRecord ContainerdRuntime::find(const std::string& handle) {
  auto c = client_->get_container(handle);
  if (!c)
    throw sdk::Error(CC_E_NOT_FOUND, "unknown handle: " + handle);
  return *c;
}

void ContainerdRuntime::ping(const sdk::Call&) {
  client_->version(std::chrono::milliseconds(5000));
}

cc_capacity ContainerdRuntime::capacity(const sdk::Call&) {
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
  if (::statvfs(dir_.c_str(), &vfs) == 0) {
    cap.disk_in_bytes = static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    cap.schedulable_disk_in_bytes = cap.disk_in_bytes;
  }
  cap.max_containers = config_.max_containers;
  return cap;
}

std::string ContainerdRuntime::build_spec(const sdk::ContainerSpec& spec,
                                          const std::string& rootfs) {
  oci::SpecInput in;
  in.id = spec.handle;
  in.hostname = spec.handle;
  in.rootfs_path = rootfs;
  in.privileged = spec.privileged;
  in.env = spec.env;
  bool has_path = false;
  for (const auto& e : in.env)
    has_path = has_path || e.rfind("PATH=", 0) == 0;
  if (!has_path)
    in.env.push_back(std::string("PATH=") + kDefaultPath);
  in.args = {kInitPath};
  in.mounts.push_back({init_bin_, kInitPath, true});
  for (const auto& b : spec.bind_mounts) {
    if (b.from_container)
      throw sdk::Error(CC_E_INVALID, "containerd runtime: bind mounts must have a host origin");
    if (b.src_path.empty() || b.src_path[0] != '/' || b.dst_path.empty() || b.dst_path[0] != '/')
      throw sdk::Error(CC_E_INVALID,
                       "bind mount paths must be absolute: " + b.src_path + " -> " + b.dst_path);
    in.mounts.push_back({b.src_path, b.dst_path, !b.read_write});
  }
  in.cgroups_path = cgroup_parent_ + "/" + spec.handle;
  in.limits = to_oci(spec.limits);
  if (!spec.privileged) {
    in.uid_maps = {{0, kMaxId, 1}, {1, 1, kMaxId - 1}};
    in.gid_maps = in.uid_maps;
  }
  return oci::make_spec(in).dump();
}

void ContainerdRuntime::create(const sdk::Call&, const sdk::ContainerSpec& spec) {
  if (spec.handle.empty())
    throw sdk::Error(CC_E_INVALID, "a handle is required");
  if (!spec.net_out.empty() || !spec.net_in.empty()) {
    throw sdk::Error(CC_E_UNSUPPORTED,
                     "containerd runtime: container networking (net_in/net_out) is not "
                     "implemented yet; containers get a private network namespace with loopback "
                     "only");
  }
  if (!spec.image_uri.empty())
    throw sdk::Error(CC_E_UNSUPPORTED, "containerd runtime: image URIs are not supported");
  if (client_->get_container(spec.handle))
    throw sdk::Error(CC_E_EXISTS, "handle already exists: " + spec.handle);
  if (config_.max_containers != 0 && client_->list_containers().size() >= config_.max_containers)
    throw sdk::Error(CC_E_LIMIT,
                     "max containers reached (" + std::to_string(config_.max_containers) + ")");
  Labels l(spec.properties.begin(), spec.properties.end());
  l[labels::kGraceTime] = std::to_string(spec.grace_time_ns);
  l[labels::kPrivileged] = spec.privileged ? "true" : "false";
  std::string rootfs;
  if (!spec.rootfs.empty()) {
    rootfs = raw_rootfs_path(spec.rootfs);
  } else if (!config_.default_rootfs.empty()) {
    uint32_t root = spec.privileged ? 0 : kMaxId;
    rootfs = mount_overlay_rootfs(config_.default_rootfs, container_dir(spec.handle), root, root);
    l[labels::kOverlay] = "true";
  } else {
    throw sdk::Error(CC_E_INVALID,
                     "containerd runtime: a rootfs is required (no --containerd-default-rootfs)");
  }
  l[labels::kRootfs] = rootfs;
  if (spec.limits)
    l[labels::kLimits] = limits_json(*spec.limits).dump();
  try {
    client_->create_container(spec.handle, build_spec(spec, rootfs), l, runc_options_);
    client_->create_task(spec.handle, "");
    client_->start(spec.handle);
  } catch (...) {
    client_->delete_task(spec.handle);
    client_->delete_container(spec.handle);
    remove_container_dir(container_dir(spec.handle));
    throw;
  }
}

void ContainerdRuntime::destroy(const sdk::Call&, const std::string& handle) {
  auto c = client_->get_container(handle);
  if (c) {
    if (auto st = client_->get(handle); st && !st->stopped) {
      client_->kill(handle, "", SIGKILL, true);
      // Tasks.Wait blocks until the init exited: no polling.
      try {
        client_->wait(handle, "");
      } catch (const sdk::Error& e) {
        if (e.code() != CC_E_NOT_FOUND)
          throw;
      }
    }
    client_->delete_task(handle);
    client_->delete_container(handle);
  }
  // Processes whose exit the events stream did not report (the shim is gone with the task).
  std::vector<std::shared_ptr<Proc>> left;
  {
    std::lock_guard lock(mu_);
    for (auto it = procs_.begin(); it != procs_.end();) {
      if (it->first.first == handle) {
        left.push_back(it->second);
        it = procs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& p : left)
    finish(p, 137, "container destroyed");
  remove_container_dir(container_dir(handle));
}

void ContainerdRuntime::stop(const sdk::Call&, const std::string& handle, bool kill) {
  find(handle);
  // Every process but the init: the container itself stays, as in Garden.
  for (const auto& [pid, exec_id] : client_->pids(handle)) {
    if (!exec_id.empty())
      client_->kill(handle, exec_id, kill ? SIGKILL : SIGTERM, false);
  }
}

std::vector<std::string> ContainerdRuntime::list(const sdk::Call&, const sdk::Properties& filter) {
  std::vector<std::string> out;
  for (const auto& c : client_->list_containers()) {
    bool match = true;
    for (const auto& [k, v] : filter) {
      auto it = c.labels.find(k);
      match = match && it != c.labels.end() && it->second == v;
    }
    if (match)
      out.push_back(c.id);
  }
  return out;
}

sdk::ContainerInfo ContainerdRuntime::info(const sdk::Call&, const std::string& handle) {
  auto c = find(handle);
  sdk::ContainerInfo i;
  auto st = client_->get(handle);
  i.state = st && st->running ? "active" : "stopped";
  i.container_path = labels::get(c.labels, labels::kRootfs);
  i.properties = labels::properties(c.labels);
  i.grace_time_ns = std::atoll(labels::get(c.labels, labels::kGraceTime).c_str());
  i.created_at_ns = c.created_at_ns;
  for (const auto& [pid, exec_id] : client_->pids(handle)) {
    if (!exec_id.empty())
      i.process_ids.push_back(exec_id);
  }
  return i;
}

sdk::Properties ContainerdRuntime::properties(const sdk::Call&, const std::string& handle) {
  return labels::properties(find(handle).labels);
}

void ContainerdRuntime::set_property(const sdk::Call&, const std::string& handle,
                                     const std::string& key, const std::string& value) {
  if (labels::internal(key))
    throw sdk::Error(CC_E_INVALID, "property name is reserved: " + key);
  std::lock_guard lock(labels_mu_);
  auto c = find(handle);
  c.labels[key] = value;
  client_->set_labels(handle, c.labels);
}

void ContainerdRuntime::remove_property(const sdk::Call&, const std::string& handle,
                                        const std::string& key) {
  std::lock_guard lock(labels_mu_);
  auto c = find(handle);
  if (labels::internal(key) || c.labels.erase(key) == 0)
    throw sdk::Error(CC_E_NOT_FOUND, "property not found: " + key);
  client_->set_labels(handle, c.labels);
}

void ContainerdRuntime::set_grace_time(const sdk::Call&, const std::string& handle, int64_t ns) {
  std::lock_guard lock(labels_mu_);
  auto c = find(handle);
  c.labels[labels::kGraceTime] = std::to_string(ns);
  client_->set_labels(handle, c.labels);
}

cc_limits ContainerdRuntime::limits(const sdk::Call&, const std::string& handle) {
  auto c = find(handle);
  cc_limits l{};
  l.struct_size = sizeof l;
  auto j = json::parse(labels::get(c.labels, labels::kLimits), nullptr, false);
  if (j.is_object()) {
    l.memory_limit_in_bytes = j.value("memory", uint64_t{0});
    l.cpu_limit_in_shares = j.value("cpu_shares", uint64_t{0});
    l.cpu_weight = j.value("cpu_weight", uint64_t{0});
    l.pid_max = j.value("pids", uint64_t{0});
  }
  return l;
}

void ContainerdRuntime::stream_in(const sdk::Call& call, const std::string& handle,
                                  const std::string& dst, const std::string&, int fd) {
  std::string root = labels::get(find(handle).labels, labels::kRootfs);
  std::string dest = (fs::path(root) / fs::path(dst).relative_path()).lexically_normal().string();
  if (dest.rfind(root, 0) != 0)
    throw sdk::Error(CC_E_INVALID, "destination escapes the container: " + dst);
  fs::create_directories(dest);
  host().tar_extract(call.ctx(), dest, fd);
}

void ContainerdRuntime::stream_out(const sdk::Call& call, const std::string& handle,
                                   const std::string& src, const std::string&, int fd) {
  std::string root = labels::get(find(handle).labels, labels::kRootfs);
  std::string path = (fs::path(root) / fs::path(src).relative_path()).lexically_normal().string();
  if (path.rfind(root, 0) != 0)
    throw sdk::Error(CC_E_INVALID, "source escapes the container: " + src);
  // Keep "dir/" meaning "the contents of dir", as Garden does.
  if (!src.empty() && src.back() == '/')
    path += "/";
  host().tar_create(call.ctx(), path, fd);
}

}  // namespace concourse::containerd
