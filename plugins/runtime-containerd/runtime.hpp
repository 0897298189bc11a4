// The containerd runtime: Garden containers as containerd containers (namespace "concourse")
// whose task is a tiny init keeping them alive; Garden processes as task execs with stdio
// through fifos the plugin owns; exits from containerd's events stream. Everything that must
// survive a worker restart (properties, grace time, limits, rootfs path) lives in containerd
// labels, so the plugin keeps no state of its own beyond the processes the host holds.
#pragma once

#include <concourse/sdk.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "client.hpp"
#include "config.hpp"
#include "daemon.hpp"
#include "events.hpp"
#include "fifo_io.hpp"
#include "stdin_pump.hpp"

namespace concourse::containerd {

// One process the host holds (from run or attach).
struct Proc {
  std::string handle, id;
  uint64_t token = 0;
  std::mutex mu;
  std::condition_variable cv;
  bool exited = false, notified = false, released = false;
  int32_t status = 0;
  FifoEnds ends;  // only the keep-alive writers remain once the host has its fds
};

class ContainerdRuntime final : public sdk::Runtime {
 public:
  ContainerdRuntime(const sdk::Host& host, const sdk::InstanceParams& params);
  ~ContainerdRuntime() override;

  void ping(const sdk::Call&) override;
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
  cc_limits limits(const sdk::Call&, const std::string& handle) override;
  std::unique_ptr<sdk::Process> run(const sdk::Call&, const std::string& handle,
                                    const sdk::ProcessSpec& spec, uint64_t exit_token,
                                    sdk::ProcessIo& io) override;
  std::unique_ptr<sdk::Process> attach(const sdk::Call&, const std::string& handle,
                                       const std::string& id, uint64_t exit_token,
                                       sdk::ProcessIo& io) override;
  void stream_in(const sdk::Call&, const std::string& handle, const std::string& dst,
                 const std::string& user, int fd) override;
  void stream_out(const sdk::Call&, const std::string& handle, const std::string& src,
                  const std::string& user, int fd) override;

  // Used by the process objects.
  Client& client() { return *client_; }
  void release(const std::shared_ptr<Proc>& p);

 private:
  ContainerRecord find(const std::string& handle);  // throws NOT_FOUND
  std::string container_dir(const std::string& handle) const;
  std::string fifo_dir(const std::string& handle, const std::string& id) const;
  std::string build_spec(const sdk::ContainerSpec& spec, const std::string& rootfs);
  std::string process_json(const ContainerRecord& c, const sdk::ProcessSpec& spec,
                           const std::string& rootfs);
  std::shared_ptr<Proc> track(const std::string& handle, const std::string& id, uint64_t token);
  void on_exit(const TaskExitEvent& e);
  void on_synced();
  void finish(const std::shared_ptr<Proc>& p, int32_t status, const std::string& error);
  void forget(const std::shared_ptr<Proc>& p);  // drop the exec, its fifos and our record
  void destroy_all();

  Config config_;
  std::string dir_;  // <work_dir>/containerd
  std::string init_bin_;
  std::string runc_options_;  // serialized containerd.runc.v1.Options
  std::string cgroup_parent_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
  std::mutex labels_mu_;  // read-modify-write of labels
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Proc>> procs_;
  StdinPumps pumps_;
  std::unique_ptr<EventWatcher> events_;  // last: its thread stops first
 public:
  // The host's stdin end for a process (see StdinPumps).
  int stdin_for(const std::string& handle, const std::string& id, const std::string& fifo);
};

}  // namespace concourse::containerd
