#include "client.hpp"

#include <google/protobuf/empty.pb.h>
#include <google/protobuf/util/time_util.h>

#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"

namespace concourse::containerd {
namespace {

constexpr const char* kSpecType = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
constexpr const char* kProcessType = "types.containerd.io/opencontainers/runtime-spec/1/Process";
constexpr const char* kResourcesType =
    "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

int32_t code_for(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::NOT_FOUND:
      return CC_E_NOT_FOUND;
    case grpc::StatusCode::ALREADY_EXISTS:
      return CC_E_EXISTS;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return CC_E_INVALID;
    case grpc::StatusCode::UNAVAILABLE:
      return CC_E_UNAVAILABLE;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return CC_E_TIMEOUT;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return CC_E_CONFLICT;
    case grpc::StatusCode::PERMISSION_DENIED:
      return CC_E_PERMISSION;
    default:
      return CC_E_INTERNAL;
  }
}

void check(const grpc::Status& s, const std::string& what) {
  if (!s.ok())
    throw_status(s, what);
}

bool ok_or_missing(const grpc::Status& s, const std::string& what) {
  if (s.error_code() == grpc::StatusCode::NOT_FOUND)
    return false;
  check(s, what);
  return true;
}

ContainerRecord record(const cpb::Container& c) {
  ContainerRecord r;
  r.id = c.id();
  r.labels = Labels(c.labels().begin(), c.labels().end());
  r.spec_json = c.spec().value();
  r.created_at_ns = google::protobuf::util::TimeUtil::TimestampToNanoseconds(c.created_at());
  return r;
}

}  // namespace

void throw_status(const grpc::Status& s, const std::string& what) {
  throw sdk::Error(code_for(s.error_code()), "containerd " + what + ": " + s.error_message());
}

Client::Client(const std::string& socket, std::string ns, std::chrono::milliseconds timeout)
    : socket_(socket), ns_(std::move(ns)), timeout_(timeout) {
  grpc::ChannelArguments args;
  // containerd answers on a local socket: reconnect quickly after it restarts.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  channel_ =
      grpc::CreateCustomChannel("unix://" + socket, grpc::InsecureChannelCredentials(), args);
  containers_ = cpb::Containers::NewStub(channel_);
  tasks_ = tpb::Tasks::NewStub(channel_);
  events_ = epb::Events::NewStub(channel_);
  version_ = ::containerd::services::version::v1::Version::NewStub(channel_);
}

std::unique_ptr<grpc::ClientContext> Client::context(
    std::optional<std::chrono::milliseconds> timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("containerd-namespace", ns_);
  auto t = timeout.value_or(timeout_);
  if (t.count() > 0)
    ctx->set_deadline(std::chrono::system_clock::now() + t);
  return ctx;
}

std::string Client::version(std::chrono::milliseconds timeout) {
  auto ctx = context(timeout);
  ctx->set_wait_for_ready(true);  // the daemon may still be starting: wait, up to the deadline
  ::containerd::services::version::v1::VersionResponse resp;
  check(version_->Version(ctx.get(), google::protobuf::Empty(), &resp), "version");
  return resp.version() + " " + resp.revision();
}

void Client::create_container(const std::string& id, const std::string& spec_json,
                              const Labels& labels, const std::string& runtime_options) {
  cpb::CreateContainerRequest req;
  auto* c = req.mutable_container();
  c->set_id(id);
  c->mutable_labels()->insert(labels.begin(), labels.end());
  c->mutable_runtime()->set_name("io.containerd.runc.v2");
  if (!runtime_options.empty()) {
    c->mutable_runtime()->mutable_options()->set_type_url("containerd.runc.v1.Options");
    c->mutable_runtime()->mutable_options()->set_value(runtime_options);
  }
  c->mutable_spec()->set_type_url(kSpecType);
  c->mutable_spec()->set_value(spec_json);
  cpb::CreateContainerResponse resp;
  auto ctx = context();
  check(containers_->Create(ctx.get(), req, &resp), "create container " + id);
}

std::optional<ContainerRecord> Client::get_container(const std::string& id) {
  cpb::GetContainerRequest req;
  req.set_id(id);
  cpb::GetContainerResponse resp;
  auto ctx = context();
  if (!ok_or_missing(containers_->Get(ctx.get(), req, &resp), "get container " + id))
    return std::nullopt;
  return record(resp.container());
}

std::vector<ContainerRecord> Client::list_containers() {
  cpb::ListContainersRequest req;
  cpb::ListContainersResponse resp;
  auto ctx = context();
  check(containers_->List(ctx.get(), req, &resp), "list containers");
  std::vector<ContainerRecord> out;
  for (const auto& c : resp.containers())
    out.push_back(record(c));
  return out;
}

void Client::set_labels(const std::string& id, const Labels& labels) {
  cpb::UpdateContainerRequest req;
  req.mutable_container()->set_id(id);
  req.mutable_container()->mutable_labels()->insert(labels.begin(), labels.end());
  req.mutable_update_mask()->add_paths("labels");
  cpb::UpdateContainerResponse resp;
  auto ctx = context();
  check(containers_->Update(ctx.get(), req, &resp), "update labels of " + id);
}

void Client::delete_container(const std::string& id) {
  cpb::DeleteContainerRequest req;
  req.set_id(id);
  google::protobuf::Empty resp;
  auto ctx = context();
  ok_or_missing(containers_->Delete(ctx.get(), req, &resp), "delete container " + id);
}

uint32_t Client::create_task(const std::string& id, const std::string& runc_options) {
  tpb::CreateTaskRequest req;
  req.set_container_id(id);
  if (!runc_options.empty()) {
    req.mutable_options()->set_type_url("containerd.runc.v1.Options");
    req.mutable_options()->set_value(runc_options);
  }
  tpb::CreateTaskResponse resp;
  auto ctx = context();
  check(tasks_->Create(ctx.get(), req, &resp), "create task " + id);
  return resp.pid();
}

uint32_t Client::start(const std::string& id, const std::string& exec_id) {
  tpb::StartRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  tpb::StartResponse resp;
  auto ctx = context();
  check(tasks_->Start(ctx.get(), req, &resp),
        "start " + id + (exec_id.empty() ? "" : "/" + exec_id));
  return resp.pid();
}

void Client::exec(const ExecRequest& r) {
  tpb::ExecProcessRequest req;
  req.set_container_id(r.container_id);
  req.set_exec_id(r.exec_id);
  req.set_stdin(r.stdin_path);
  req.set_stdout(r.stdout_path);
  req.set_stderr(r.stderr_path);
  req.set_terminal(r.terminal);
  req.mutable_spec()->set_type_url(kProcessType);
  req.mutable_spec()->set_value(r.process_json);
  google::protobuf::Empty resp;
  auto ctx = context();
  check(tasks_->Exec(ctx.get(), req, &resp), "exec in " + r.container_id);
}

void Client::kill(const std::string& id, const std::string& exec_id, uint32_t signal, bool all) {
  tpb::KillRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  req.set_signal(signal);
  req.set_all(all);
  google::protobuf::Empty resp;
  auto ctx = context();
  auto s = tasks_->Kill(ctx.get(), req, &resp);
  // A process that already exited is not an error for a signal.
  if (s.error_code() == grpc::StatusCode::NOT_FOUND ||
      s.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
    return;
  check(s, "kill " + id);
}

std::optional<ProcessState> Client::get(const std::string& id, const std::string& exec_id) {
  tpb::GetRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  tpb::GetResponse resp;
  auto ctx = context();
  if (!ok_or_missing(tasks_->Get(ctx.get(), req, &resp), "get task " + id))
    return std::nullopt;
  ProcessState st;
  st.pid = resp.process().pid();
  st.stopped = resp.process().status() == ::containerd::v1::types::STOPPED;
  st.running = resp.process().status() == ::containerd::v1::types::RUNNING;
  st.exit_status = resp.process().exit_status();
  return st;
}

uint32_t Client::wait(const std::string& id, const std::string& exec_id,
                      std::optional<std::chrono::milliseconds> timeout) {
  tpb::WaitRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  tpb::WaitResponse resp;
  auto ctx = context(timeout);
  check(tasks_->Wait(ctx.get(), req, &resp), "wait " + id);
  return resp.exit_status();
}

void Client::delete_process(const std::string& id, const std::string& exec_id) {
  tpb::DeleteProcessRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  tpb::DeleteResponse resp;
  auto ctx = context();
  ok_or_missing(tasks_->DeleteProcess(ctx.get(), req, &resp), "delete process " + exec_id);
}

void Client::delete_task(const std::string& id) {
  tpb::DeleteTaskRequest req;
  req.set_container_id(id);
  tpb::DeleteResponse resp;
  auto ctx = context();
  ok_or_missing(tasks_->Delete(ctx.get(), req, &resp), "delete task " + id);
}

std::vector<std::pair<uint32_t, std::string>> Client::pids(const std::string& id) {
  tpb::ListPidsRequest req;
  req.set_container_id(id);
  tpb::ListPidsResponse resp;
  auto ctx = context();
  std::vector<std::pair<uint32_t, std::string>> out;
  if (!ok_or_missing(tasks_->ListPids(ctx.get(), req, &resp), "list pids of " + id))
    return out;
  for (const auto& p : resp.processes()) {
    std::string exec_id;
    // The runc shim describes exec'd processes with a ProcessDetails naming the exec id.
    ::containerd::runc::v1::ProcessDetails d;
    if (p.has_info() && d.ParseFromString(p.info().value()))
      exec_id = d.exec_id();
    out.emplace_back(p.pid(), exec_id);
  }
  return out;
}

void Client::resize(const std::string& id, const std::string& exec_id, uint32_t w, uint32_t h) {
  tpb::ResizePtyRequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  req.set_width(w);
  req.set_height(h);
  google::protobuf::Empty resp;
  auto ctx = context();
  check(tasks_->ResizePty(ctx.get(), req, &resp), "resize pty");
}

void Client::close_stdin(const std::string& id, const std::string& exec_id) {
  tpb::CloseIORequest req;
  req.set_container_id(id);
  req.set_exec_id(exec_id);
  req.set_stdin(true);
  google::protobuf::Empty resp;
  auto ctx = context();
  check(tasks_->CloseIO(ctx.get(), req, &resp), "close stdin");
}

void Client::update_resources(const std::string& id, const std::string& linux_resources_json) {
  tpb::UpdateTaskRequest req;
  req.set_container_id(id);
  req.mutable_resources()->set_type_url(kResourcesType);
  req.mutable_resources()->set_value(linux_resources_json);
  google::protobuf::Empty resp;
  auto ctx = context();
  check(tasks_->Update(ctx.get(), req, &resp), "update " + id);
}

void Client::publish(const std::string& topic) {
  epb::PublishRequest req;
  req.set_topic(topic);
  req.mutable_event()->set_type_url("type.googleapis.com/google.protobuf.Empty");
  google::protobuf::Empty resp;
  auto ctx = context();
  check(events_->Publish(ctx.get(), req, &resp), "publish " + topic);
}

}  // namespace concourse::containerd
