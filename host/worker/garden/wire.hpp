// Garden's wire types (garden/client.go, container.go, net_out_rule.go) decoded into the ABI's
// C structs, and the ABI's outputs encoded back with Garden's exact field names.
//
// Decoders own every byte the C structs point at, so they are neither copyable nor movable:
// pointers into their members must stay valid for the plugin call. Input of the wrong shape
// throws GardenError 400 naming the field.
#pragma once

#include <concourse/runtime.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace concourse::worker::garden {

// Stable storage for the strings a C struct borrows.
class StringStore {
 public:
  cc_str keep(std::string s);

 private:
  std::deque<std::string> strings_;
};

class NetOutRules {
 public:
  NetOutRules() = default;
  NetOutRules(const NetOutRules&) = delete;
  NetOutRules& operator=(const NetOutRules&) = delete;

  // Appends one NetOutRule JSON object; `where` names it in errors.
  void add(const nlohmann::json& rule, const std::string& where);
  const cc_net_out_rule* const* data() const { return ptrs_.data(); }
  size_t size() const { return ptrs_.size(); }
  const cc_net_out_rule& at(size_t i) const { return *ptrs_.at(i); }

 private:
  struct Rule {
    cc_net_out_rule rule{};
    std::vector<cc_ip_range> networks;
    std::vector<cc_port_range> ports;
  };
  StringStore strings_;
  std::deque<Rule> rules_;
  std::vector<const cc_net_out_rule*> ptrs_;
};

class ContainerSpecData {
 public:
  ContainerSpecData() = default;
  ContainerSpecData(const ContainerSpecData&) = delete;
  ContainerSpecData& operator=(const ContainerSpecData&) = delete;

  const cc_container_spec& spec() const { return spec_; }
  const std::string& handle() const { return handle_; }
  // Replaces an empty handle (Garden backends generate one).
  void set_handle(std::string handle);

 private:
  friend std::unique_ptr<ContainerSpecData> decode_container_spec(const nlohmann::json& j);
  cc_container_spec spec_{};
  std::string handle_;
  StringStore strings_;
  std::vector<cc_bind_mount> bind_mounts_;
  std::vector<const cc_bind_mount*> bind_mount_ptrs_;
  std::vector<cc_kv> properties_;
  std::vector<cc_str> env_;
  cc_limits limits_{};
  NetOutRules net_out_;
  std::vector<cc_net_in> net_in_;
};

class ProcessSpecData {
 public:
  ProcessSpecData() = default;
  ProcessSpecData(const ProcessSpecData&) = delete;
  ProcessSpecData& operator=(const ProcessSpecData&) = delete;

  const cc_process_spec& spec() const { return spec_; }
  const std::string& id() const { return id_; }
  void set_id(std::string id);
  bool tty() const { return spec_.tty != nullptr; }
  // True when the spec asks for a process image or bind mounts, which the ABI cannot carry.
  bool wants_process_image() const { return wants_image_; }

 private:
  friend std::unique_ptr<ProcessSpecData> decode_process_spec(const nlohmann::json& j);
  cc_process_spec spec_{};
  std::string id_;
  StringStore strings_;
  std::vector<cc_str> args_;
  std::vector<cc_str> env_;
  cc_tty_size tty_{};
  cc_rlimits rlimits_{};
  cc_limits limits_{};
  bool wants_image_ = false;
};

std::unique_ptr<ContainerSpecData> decode_container_spec(const nlohmann::json& j);
std::unique_ptr<ProcessSpecData> decode_process_spec(const nlohmann::json& j);

// A client control frame (transport.ProcessPayload) on a Run/Attach connection.
struct ProcessFrame {
  enum class Kind { Stdin, StdinEof, Signal, Resize, Unknown };
  Kind kind = Kind::Unknown;
  std::string data;
  int64_t signal = -1;
  cc_tty_size size{};
};
ProcessFrame decode_process_frame(const nlohmann::json& j);

// Body helpers: each throws GardenError 400 naming the field.
bool decode_stop_request(const nlohmann::json& j);  // {"kill":bool}
std::pair<uint32_t, uint32_t> decode_net_in_request(const nlohmann::json& j);
std::string decode_property_value(const nlohmann::json& j);  // {"value":"..."}
int64_t decode_grace_time(const nlohmann::json& j);          // bare integer, ns, >= 0

// What container_info reported, before it becomes Garden's ContainerInfo.
struct ContainerInfoData {
  std::string state;
  std::string host_ip;
  std::string container_ip;
  std::string container_ipv6;
  std::string external_ip;
  std::string container_path;
  int64_t grace_time_ns = 0;
  int64_t created_at_ns = 0;
  std::vector<std::string> events;
  std::vector<std::string> process_ids;
  std::map<std::string, std::string> properties;
  std::vector<std::pair<uint32_t, uint32_t>> mapped_ports;
};

enum class LimitKind { Bandwidth, Cpu, Disk, Memory };

nlohmann::ordered_json capacity_json(const cc_capacity& c);
nlohmann::ordered_json info_json(const ContainerInfoData& info);
nlohmann::ordered_json metrics_json(const cc_container_metrics& m);
nlohmann::ordered_json limits_json(LimitKind kind, const cc_limits& l);

// Serialises a response body the way Go's json.Encoder does (one line, trailing newline).
std::string to_body(const nlohmann::ordered_json& j);

}  // namespace concourse::worker::garden
