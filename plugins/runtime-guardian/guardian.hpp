// The guardian runtime: Concourse's Guardian (gdn over runc) rebuilt as a plugin. A container is
// an OCI bundle in the depot run by runc (or crun) with concourse-init as PID 1; processes are
// `runc exec` children whose stdio are the fds handed to the host; limits are cgroups v1 via the
// spec's absolute cgroupsPath; networking (network.hpp) is a namespace per container on a
// bridge. Containers, their properties and networking survive a worker restart.
#pragma once

#include <concourse/sdk.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "container.hpp"
#include "guardian_config.hpp"
#include "network.hpp"
#include "oci_binary.hpp"
#include "reaper.hpp"

namespace concourse::guardian {

class Guardian final : public sdk::Runtime {
 public:
  Guardian(const sdk::Host& host, const sdk::InstanceParams& params);
  ~Guardian() override;

  void ping(const sdk::Call&) override;
  cc_capacity capacity(const sdk::Call&) override;
  void create(const sdk::Call&, const sdk::ContainerSpec& spec) override;
  void destroy(const sdk::Call&, const std::string& handle) override;
  void stop(const sdk::Call&, const std::string& handle, bool kill) override;
  std::vector<std::string> list(const sdk::Call&, const sdk::Properties& filter) override;
  sdk::ContainerInfo info(const sdk::Call&, const std::string& handle) override;
  cc_container_metrics metrics(const sdk::Call&, const std::string& handle) override;
  sdk::Properties properties(const sdk::Call&, const std::string& handle) override;
  void set_property(const sdk::Call&, const std::string& handle, const std::string& key,
                    const std::string& value) override;
  void remove_property(const sdk::Call&, const std::string& handle,
                       const std::string& key) override;
  void set_grace_time(const sdk::Call&, const std::string& handle, int64_t ns) override;
  cc_limits limits(const sdk::Call&, const std::string& handle) override;
  cc_net_in net_in(const sdk::Call&, const std::string& handle, uint32_t host_port,
                   uint32_t container_port) override;
  void net_out(const sdk::Call&, const std::string& handle, const sdk::NetOutRule& rule) override;
  // Waits until destroyed containers' veths are gone and their addresses free (they go in the
  // background): for tests that look at the host right after a destroy.
  void settle_network() { network_->settle(); }
  // The container's cgroup (absolute, the same in every v1 hierarchy).
  std::string cgroup_path(const std::string& handle) const;
  std::unique_ptr<sdk::Process> run(const sdk::Call&, const std::string& handle,
                                    const sdk::ProcessSpec& spec, uint64_t exit_token,
                                    sdk::ProcessIo& io) override;
  void stream_in(const sdk::Call&, const std::string& handle, const std::string& dst,
                 const std::string& user, int fd) override;
  void stream_out(const sdk::Call&, const std::string& handle, const std::string& src,
                  const std::string& user, int fd) override;

 private:
  std::shared_ptr<Container> find(const std::string& handle);  // throws NOT_FOUND; mu_ held
  std::shared_ptr<Container> reserve(const sdk::ContainerSpec& spec);
  void build_bundle(Container& c, const sdk::ContainerSpec& spec);
  void recover_containers();
  void teardown(Container& c);  // processes, network, bundle
  void watch(const std::shared_ptr<Container>& c, const std::shared_ptr<ProcState>& st, pid_t pid,
             int pidfd, uint64_t exit_token);

  Config config_;
  std::unique_ptr<OciBinary> oci_;
  std::unique_ptr<Network> network_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Container>> containers_;
  houdini::Reaper reaper_;  // last: its thread stops before the containers go
};

}  // namespace concourse::guardian
