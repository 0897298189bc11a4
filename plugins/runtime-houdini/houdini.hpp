// The houdini runtime: Concourse's no-isolation backend. A container is a directory (or a raw://
// rootfs it chroots into); processes are plain host processes. Unlike Concourse's, containers
// and their properties survive a worker restart; running processes do not.
#pragma once

#include <concourse/sdk.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "container.hpp"
#include "reaper.hpp"

namespace concourse::houdini {

struct Config {
  std::string depot;              // where root-less containers live; default <work_dir>/containers
  uint64_t max_containers = 250;  // 0 = unlimited
};
Config parse_config(const sdk::InstanceParams& params);

class Houdini final : public sdk::Runtime {
 public:
  Houdini(const sdk::Host& host, const sdk::InstanceParams& params);
  ~Houdini() override;

  cc_capacity capacity(const sdk::Call&) override;
  void create(const sdk::Call&, const sdk::ContainerSpec& spec) override;
  void destroy(const sdk::Call&, const std::string& handle) override;
  void stop(const sdk::Call&, const std::string& handle, bool kill) override;
  std::vector<std::string> list(const sdk::Call&, const sdk::Properties& filter) override;
  sdk::ContainerInfo info(const sdk::Call&, const std::string& handle) override;
  sdk::Properties properties(const sdk::Call&, const std::string& handle) override;
  void set_property(const sdk::Call&, const std::string& handle, const std::string& key,
                    const std::string& value) override;
  void remove_property(const sdk::Call&, const std::string& handle,
                       const std::string& key) override;
  void set_grace_time(const sdk::Call&, const std::string& handle, int64_t ns) override;
  std::unique_ptr<sdk::Process> run(const sdk::Call&, const std::string& handle,
                                    const sdk::ProcessSpec& spec, uint64_t exit_token,
                                    sdk::ProcessIo& io) override;
  void stream_in(const sdk::Call&, const std::string& handle, const std::string& dst,
                 const std::string& user, int fd) override;
  void stream_out(const sdk::Call&, const std::string& handle, const std::string& src,
                  const std::string& user, int fd) override;

 private:
  std::shared_ptr<Container> find(const std::string& handle);  // throws NOT_FOUND; mu_ held
  void restore(Container c);
  void setup_rootfs_mounts(Container& c, const sdk::ContainerSpec& spec);

  Config config_;
  std::string state_dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Container>> containers_;
  Reaper reaper_;  // last: its thread stops before the containers go
};

}  // namespace concourse::houdini
