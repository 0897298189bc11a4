// A thin, synchronous client of containerd's gRPC API (stubs generated at build time from
// Debian's protos). Every call carries the namespace and the request timeout; failures become
// sdk::Error with the closest CC_E_* code and containerd's own message.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <concourse/sdk.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "github.com/containerd/containerd/api/services/containers/v1/containers.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/events/v1/events.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/tasks/v1/tasks.grpc.pb.h"
#include "github.com/containerd/containerd/api/services/version/v1/version.grpc.pb.h"

namespace concourse::containerd {

namespace cpb = ::containerd::services::containers::v1;
namespace tpb = ::containerd::services::tasks::v1;
namespace epb = ::containerd::services::events::v1;
using Labels = std::map<std::string, std::string>;

// What a process of a task looks like to containerd (Tasks.Get).
struct ProcessState {
  uint32_t pid = 0;
  bool stopped = false;  // STOPPED; exit_status is then meaningful
  bool running = false;
  uint32_t exit_status = 0;
};

struct ContainerRecord {
  std::string id;
  Labels labels;
  std::string spec_json;  // the OCI spec as stored
  int64_t created_at_ns = 0;
};

struct ExecRequest {
  std::string container_id, exec_id, process_json, stdin_path, stdout_path, stderr_path;
  bool terminal = false;
};

// Turns a failed status into an sdk::Error ("containerd <what>: <message>").
[[noreturn]] void throw_status(const grpc::Status& s, const std::string& what);

class Client {
 public:
  Client(const std::string& socket, std::string ns, std::chrono::milliseconds timeout);

  const std::string& socket() const { return socket_; }
  const std::string& ns() const { return ns_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

  // "version revision"; throws on failure (used as the liveness check).
  std::string version(std::chrono::milliseconds timeout);

  void create_container(const std::string& id, const std::string& spec_json, const Labels& labels,
                        const std::string& runtime_options);
  std::optional<ContainerRecord> get_container(const std::string& id);
  std::vector<ContainerRecord> list_containers();
  void set_labels(const std::string& id, const Labels& labels);  // replaces every label
  void delete_container(const std::string& id);                  // NOT_FOUND ignored

  // Tasks. runc_options: a serialized containerd.runc.v1.Options (runc root per daemon).
  uint32_t create_task(const std::string& id, const std::string& runc_options);
  uint32_t start(const std::string& id, const std::string& exec_id = "");
  void exec(const ExecRequest& r);
  void kill(const std::string& id, const std::string& exec_id, uint32_t signal, bool all);
  std::optional<ProcessState> get(const std::string& id, const std::string& exec_id = "");
  // Blocks until the process exits (Tasks.Wait); returns its exit status.
  uint32_t wait(const std::string& id, const std::string& exec_id,
                std::optional<std::chrono::milliseconds> timeout = {});
  void delete_process(const std::string& id, const std::string& exec_id);     // NOT_FOUND ignored
  void delete_task(const std::string& id);                                    // NOT_FOUND ignored
  std::vector<std::pair<uint32_t, std::string>> pids(const std::string& id);  // pid, exec id
  void resize(const std::string& id, const std::string& exec_id, uint32_t w, uint32_t h);
  void close_stdin(const std::string& id, const std::string& exec_id);
  void update_resources(const std::string& id, const std::string& linux_resources_json);
  void publish(const std::string& topic);  // an empty event: used to sync the events stream

  std::unique_ptr<grpc::ClientContext> context(
      std::optional<std::chrono::milliseconds> timeout = {}) const;
  epb::Events::Stub& events() { return *events_; }

 private:
  std::string socket_, ns_;
  std::chrono::milliseconds timeout_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<cpb::Containers::Stub> containers_;
  std::unique_ptr<tpb::Tasks::Stub> tasks_;
  std::unique_ptr<epb::Events::Stub> events_;
  std::unique_ptr<::containerd::services::version::v1::Version::Stub> version_;
};

}  // namespace concourse::containerd
