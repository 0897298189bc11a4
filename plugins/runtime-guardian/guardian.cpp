#include "guardian.hpp"

#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cgroups.hpp"
#include "oci_spec.hpp"
#include "process_spec.hpp"
#include "resolv_conf.hpp"
#include "spawn.hpp"

extern char** environ;

namespace concourse::guardian {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kInitPath = "/tmp/garden-init";

int64_t realtime_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void validate_handle(const std::string& h) {
  // The handle names the runc container, the bundle directory and the cgroup.
  bool ok = !h.empty() && h.size() <= 200 && h != "." && h != "..";
  for (char ch : h)
    ok =
        ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.');
  if (!ok)
    throw sdk::Error(CC_E_INVALID, "invalid handle '" + h + "' (use [A-Za-z0-9._-], at most 200)");
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::trunc);
  out << text;
  if (!out)
    throw sdk::Error(CC_E_INTERNAL, "guardian: cannot write " + p.string());
}

oci::Limits to_oci(const cc_limits& l) {
  oci::Limits o;
  o.memory_bytes = l.memory_limit_in_bytes;
  o.pids = static_cast<int64_t>(l.pid_max);
  o.cpu_shares = l.cpu_limit_in_shares != 0 ? l.cpu_limit_in_shares : l.cpu_weight;
  return o;
}

}  // namespace

Guardian::Guardian(const sdk::Host& host, const sdk::InstanceParams& params)
    : sdk::Runtime(host), config_(parse_config(params)) {
  if (::geteuid() != 0)
    throw sdk::Error(CC_E_PERMISSION, "guardian needs root (it runs runc/crun as root)");
  check_cgroups_v1();
  if (!fs::exists(config_.init_bin))
    throw sdk::Error(CC_E_UNAVAILABLE, "guardian: init binary " + config_.init_bin + " missing");
  oci_ = std::make_unique<OciBinary>(config_.runtime_bin,
                                     (fs::path(params.data_dir) / "oci-state").string());
  fs::create_directories(config_.depot);
  network_ = std::make_unique<Network>(config_.network, this->host());
  recover_containers();
  this->host().info("guardian-ready", {{"runtime", oci_->path()},
                                       {"depot", config_.depot},
                                       {"containers", std::to_string(containers_.size())}});
}

// A restarted worker: the containers in the depot, their networking repaired where a piece is
// missing (before a container gone with a reboot is brought back into its namespace).
void Guardian::recover_containers() {
  for (auto& c : load_containers(config_.depot)) {
    auto handle = c.handle;
    containers_[handle] = std::make_shared<Container>(std::move(c));
  }
  std::vector<KnownContainer> known;
  for (auto& [h, c] : containers_)
    known.push_back({c->bundle, &c->net});
  network_->start(known, config_.depot);
  for (auto& [h, c] : containers_) {
    if (oci_->exists(c->handle))
      continue;
    // Gone with a reboot: bring the container back from its bundle (processes are lost).
    try {
      if (c->overlay)
        mount_overlay(c->lower, c->bundle);
      oci_->run_detached(c->handle, c->bundle);
    } catch (const sdk::Error& e) {
      host().warn("container-restore-failed", {{"handle", c->handle}, {"error", e.what()}});
    }
  }
}

Guardian::~Guardian() {
  if (!config_.destroy_on_exit)
    return;
  for (auto& [handle, c] : containers_) {
    try {
      teardown(*c);
    } catch (const std::exception& e) {
      host().warn("destroy-on-exit-failed", {{"handle", handle}, {"error", e.what()}});
    }
  }
  try {
    network_->shutdown_if_unused();
  } catch (const std::exception& e) {
    host().warn("network-shutdown-failed", {{"error", e.what()}});
  }
}

void Guardian::teardown(Container& c) {
  oci_->remove(c.handle);  // kills every process; runc removes the cgroups too
  network_->detach(c.net, c.bundle);
  c.net = ContainerNet{};
  remove_bundle(c);
}

std::shared_ptr<Container> Guardian::find(const std::string& handle) {
  auto it = containers_.find(handle);
  if (it == containers_.end() || !it->second->ready)
    throw sdk::Error(CC_E_NOT_FOUND, "unknown handle: " + handle);
  return it->second;
}

std::string Guardian::cgroup_path(const std::string& handle) const {
  return config_.cgroup_parent + "/" + handle;
}

void Guardian::ping(const sdk::Call&) {
  if (!fs::exists(oci_->path()))
    throw sdk::Error(CC_E_UNAVAILABLE, "guardian: " + oci_->path() + " disappeared");
}

cc_capacity Guardian::capacity(const sdk::Call&) {
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

std::shared_ptr<Container> Guardian::reserve(const sdk::ContainerSpec& spec) {
  std::lock_guard lock(mu_);
  if (containers_.count(spec.handle) != 0)
    throw sdk::Error(CC_E_EXISTS, "handle already exists: " + spec.handle);
  if (config_.max_containers != 0 && containers_.size() >= config_.max_containers) {
    throw sdk::Error(CC_E_LIMIT, "max containers reached: this worker already runs " +
                                     std::to_string(containers_.size()) + " of at most " +
                                     std::to_string(config_.max_containers) +
                                     " (--garden-max-containers)");
  }
  auto c = std::make_shared<Container>();
  c->handle = spec.handle;
  containers_[spec.handle] = c;
  return c;
}

void Guardian::build_bundle(Container& c, const sdk::ContainerSpec& spec) {
  fs::path bundle = fs::path(config_.depot) / c.handle;
  std::error_code ec;
  fs::remove_all(bundle, ec);  // leftovers of a failed earlier attempt
  fs::create_directories(bundle);
  c.bundle = bundle.string();
  if (!spec.image_uri.empty())
    throw sdk::Error(CC_E_UNSUPPORTED, "guardian: image URIs are not supported; use raw:// rootfs");
  if (!spec.rootfs.empty()) {
    try {
      c.rootfs = oci::rootfs_from_uri(spec.rootfs);
    } catch (const std::invalid_argument& e) {
      throw sdk::Error(CC_E_INVALID, e.what());
    }
    if (!fs::is_directory(c.rootfs))
      throw sdk::Error(CC_E_INVALID, "rootfs " + spec.rootfs + " is not an existing directory");
  } else if (!config_.default_rootfs.empty()) {
    mount_overlay(config_.default_rootfs, c.bundle);
    c.overlay = true;
    c.lower = config_.default_rootfs;
    c.rootfs = (bundle / "rootfs").string();
  } else {
    throw sdk::Error(CC_E_INVALID,
                     "guardian: container has no rootfs and no --garden-default-rootfs is set");
  }
  c.net = network_->attach(c.bundle);
  write_file(bundle / "resolv.conf", oci::container_resolv_conf(config_.dns_servers));
  write_file(bundle / "hosts",
             "127.0.0.1 localhost\n" + ipv4_string(c.net.ip) + " " + c.handle.substr(0, 63) + "\n");

  oci::SpecInput in;
  in.id = c.handle;
  in.rootfs_path = c.rootfs;
  in.hostname = c.handle.substr(0, 63);
  in.privileged = c.privileged;
  in.env = c.env;
  in.args = {kInitPath};
  in.cgroups_path = cgroup_path(c.handle);
  in.limits = to_oci(c.limits);
  in.resolv_conf_path = (bundle / "resolv.conf").string();
  in.hosts_path = (bundle / "hosts").string();
  in.netns_path = network_->netns_path(c.net.ip);
  in.mounts.push_back({config_.init_bin, kInitPath, true});
  for (const auto& b : spec.bind_mounts) {
    std::string src = b.from_container ? inside(c.rootfs, b.src_path) : b.src_path;
    in.mounts.push_back({src, b.dst_path, !b.read_write});
  }
  try {
    write_file(bundle / "config.json", oci::make_spec(in).dump(2));
  } catch (const std::invalid_argument& e) {
    throw sdk::Error(CC_E_INVALID, e.what());
  }
}

void Guardian::create(const sdk::Call&, const sdk::ContainerSpec& spec) {
  validate_handle(spec.handle);
  Network::validate(spec.net_out);
  auto c = reserve(spec);
  c->privileged = spec.privileged;
  c->env = spec.env;
  c->properties = spec.properties;
  c->grace_time_ns = spec.grace_time_ns;
  c->created_at_ns = realtime_ns();
  if (spec.limits)
    c->limits = *spec.limits;
  c->limits.struct_size = sizeof(cc_limits);
  try {
    build_bundle(*c, spec);
    // Before the container runs, so it never has more network access than it was given.
    network_->apply(c->net, c->bundle, spec.net_out, spec.net_in);
    oci_->run_detached(c->handle, c->bundle);
    save_container(*c);
  } catch (...) {
    try {
      teardown(*c);
    } catch (const std::exception& e) {
      host().warn("create-cleanup-failed", {{"handle", c->handle}, {"error", e.what()}});
    }
    std::lock_guard lock(mu_);
    containers_.erase(spec.handle);
    throw;
  }
  std::lock_guard lock(mu_);
  c->ready = true;
}

void Guardian::destroy(const sdk::Call&, const std::string& handle) {
  std::shared_ptr<Container> c;
  {
    std::lock_guard lock(mu_);
    auto it = containers_.find(handle);
    if (it == containers_.end() || !it->second->ready)
      return;  // idempotent
    c = it->second;
  }
  teardown(*c);
  std::lock_guard lock(mu_);
  containers_.erase(handle);
}

void Guardian::stop(const sdk::Call&, const std::string& handle, bool kill) {
  {
    std::lock_guard lock(mu_);
    find(handle);
  }
  std::string err = oci_->kill(handle, kill ? SIGKILL : SIGTERM, true);
  if (!err.empty() && err.find("not running") == std::string::npos)
    throw sdk::Error(CC_E_INTERNAL, "guardian: stop " + handle + ": " + err);
}

std::vector<std::string> Guardian::list(const sdk::Call&, const sdk::Properties& filter) {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [h, c] : containers_) {
    if (!c->ready)
      continue;
    bool match = true;
    for (const auto& [k, v] : filter) {
      auto it = c->properties.find(k);
      match = match && it != c->properties.end() && it->second == v;
    }
    if (match)
      out.push_back(h);
  }
  return out;
}

sdk::ContainerInfo Guardian::info(const sdk::Call&, const std::string& handle) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  sdk::ContainerInfo i;
  i.state = "active";
  i.container_path = c->rootfs;
  if (c->net.ip != 0) {
    i.container_ip = ipv4_string(c->net.ip);
    i.host_ip = network_->gateway();
    i.external_ip = network_->external_ip();
    i.mapped_ports = c->net.ports;
  }
  i.properties = c->properties;
  i.grace_time_ns = c->grace_time_ns;
  i.created_at_ns = c->created_at_ns;
  for (const auto& [id, p] : c->processes)
    i.process_ids.push_back(id);
  return i;
}

cc_container_metrics Guardian::metrics(const sdk::Call&, const std::string& handle) {
  int64_t created = 0;
  ContainerNet net;
  {
    std::lock_guard lock(mu_);
    auto c = find(handle);
    created = c->created_at_ns;
    net.ip = c->net.ip;
  }
  cc_container_metrics m = read_metrics(cgroup_path(handle));
  m.age_ns = realtime_ns() - created;
  network_->bytes(net, m.net_rx_bytes, m.net_tx_bytes);
  return m;
}

sdk::Properties Guardian::properties(const sdk::Call&, const std::string& handle) {
  std::lock_guard lock(mu_);
  return find(handle)->properties;
}

void Guardian::set_property(const sdk::Call&, const std::string& handle, const std::string& key,
                            const std::string& value) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  c->properties[key] = value;
  save_container(*c);
}

void Guardian::remove_property(const sdk::Call&, const std::string& handle,
                               const std::string& key) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  if (c->properties.erase(key) == 0)
    throw sdk::Error(CC_E_NOT_FOUND, "property not found: " + key);
  save_container(*c);
}

void Guardian::set_grace_time(const sdk::Call&, const std::string& handle, int64_t ns) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  c->grace_time_ns = ns;
  save_container(*c);
}

cc_net_in Guardian::net_in(const sdk::Call&, const std::string& handle, uint32_t host_port,
                           uint32_t container_port) {
  // Under mu_ throughout: the container's mappings change and are saved as one step.
  std::lock_guard lock(mu_);
  auto c = find(handle);
  auto mapped = network_->net_in(c->net, c->bundle, host_port, container_port);
  save_container(*c);
  return mapped;
}

void Guardian::net_out(const sdk::Call&, const std::string& handle, const sdk::NetOutRule& rule) {
  std::lock_guard lock(mu_);
  auto c = find(handle);
  network_->net_out(c->net, rule);
  save_container(*c);
}

cc_limits Guardian::limits(const sdk::Call&, const std::string& handle) {
  std::lock_guard lock(mu_);
  return find(handle)->limits;
}

void Guardian::stream_in(const sdk::Call& call, const std::string& handle, const std::string& dst,
                         const std::string&, int fd) {
  std::string dest;
  {
    std::lock_guard lock(mu_);
    dest = inside(find(handle)->rootfs, dst);
  }
  fs::create_directories(dest);
  host().tar_extract(call.ctx(), dest, fd);
}

void Guardian::stream_out(const sdk::Call& call, const std::string& handle, const std::string& src,
                          const std::string&, int fd) {
  std::string path;
  {
    std::lock_guard lock(mu_);
    path = inside(find(handle)->rootfs, src);
  }
  if (!src.empty() && src.back() == '/')
    path += "/";  // "dir/" means the contents of dir, as in Garden
  host().tar_create(call.ctx(), path, fd);
}

}  // namespace concourse::guardian
