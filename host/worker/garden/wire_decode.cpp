#include <arpa/inet.h>

#include <array>
#include <limits>

#include "worker/garden/garden_error.hpp"
#include "worker/garden/wire.hpp"

namespace concourse::worker::garden {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxU8 = std::numeric_limits<uint8_t>::max();
constexpr uint64_t kMaxU16 = std::numeric_limits<uint16_t>::max();
constexpr uint64_t kMaxU32 = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kMaxU64 = std::numeric_limits<uint64_t>::max();

// A JSON object read field by field, with errors that name the field. null means absent, as in
// Go's decoder; unknown fields are ignored, as in Go's decoder.
class Obj {
 public:
  Obj(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object())
      throw bad_request("invalid " + where_ + ": expected a JSON object");
  }

  const json* get(const std::string& key) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null())
      return nullptr;
    return &*it;
  }

  std::string str(const std::string& key) const {
    const json* v = get(key);
    if (v == nullptr)
      return {};
    if (!v->is_string())
      fail(key, "a string");
    return v->get<std::string>();
  }

  bool boolean(const std::string& key) const {
    const json* v = get(key);
    if (v == nullptr)
      return false;
    if (!v->is_boolean())
      fail(key, "a boolean");
    return v->get<bool>();
  }

  uint64_t u64(const std::string& key, uint64_t max = kMaxU64) const {
    const json* v = get(key);
    return v == nullptr ? 0 : unsigned_value(*v, key, max);
  }

  int64_t i64(const std::string& key) const {
    const json* v = get(key);
    if (v == nullptr)
      return 0;
    if (!v->is_number_integer())
      fail(key, "an integer");
    if (v->is_number_unsigned() &&
        v->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail(key, "an integer that fits in 64 bits");
    }
    return v->get<int64_t>();
  }

  const json* array(const std::string& key) const {
    const json* v = get(key);
    if (v != nullptr && !v->is_array())
      fail(key, "an array");
    return v;
  }

  const json* object(const std::string& key) const {
    const json* v = get(key);
    if (v != nullptr && !v->is_object())
      fail(key, "an object");
    return v;
  }

  std::vector<std::string> strings(const std::string& key) const {
    std::vector<std::string> out;
    const json* a = array(key);
    if (a == nullptr)
      return out;
    for (const auto& item : *a) {
      if (!item.is_string())
        fail(key, "an array of strings");
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  uint64_t unsigned_value(const json& v, const std::string& key, uint64_t max) const {
    if (!v.is_number_unsigned())
      fail(key, "a non-negative integer");
    uint64_t n = v.get<uint64_t>();
    if (n > max)
      fail(key, "at most " + std::to_string(max));
    return n;
  }

  std::string child(const std::string& key) const { return where_ + "." + key; }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw bad_request("invalid " + where_ + ": \"" + key + "\" must be " + what);
  }

 private:
  const json& j_;
  std::string where_;
};

// Handles and process ids become URL path segments and, in most runtimes, directory names.
void validate_name(const std::string& value, const std::string& what) {
  if (value.size() > 512)
    throw bad_request("invalid " + what + ": longer than 512 bytes");
  if (value == "." || value == "..")
    throw bad_request("invalid " + what + ": \"" + value + "\"");
  for (unsigned char c : value) {
    if (c == '/' || c < 0x20 || c == 0x7f) {
      throw bad_request("invalid " + what + " \"" + value + "\": no '/' or control characters");
    }
  }
}

void validate_ip(const std::string& ip, const std::string& where) {
  if (ip.empty())
    return;
  std::array<unsigned char, 16> buf{};
  if (inet_pton(AF_INET, ip.c_str(), buf.data()) == 1)
    return;
  if (inet_pton(AF_INET6, ip.c_str(), buf.data()) == 1)
    return;
  throw bad_request("invalid " + where + ": \"" + ip + "\" is not an IP address");
}

void decode_limits(const Obj& o, cc_limits& l) {
  l.struct_size = sizeof(cc_limits);
  if (const json* p = o.object("bandwidth_limits")) {
    Obj b(*p, o.child("bandwidth_limits"));
    l.bandwidth_rate = b.u64("rate");
    l.bandwidth_burst = b.u64("burst");
  }
  if (const json* p = o.object("cpu_limits")) {
    Obj c(*p, o.child("cpu_limits"));
    l.cpu_weight = c.u64("weight");
    l.cpu_limit_in_shares = c.u64("limit_in_shares");
  }
  if (const json* p = o.object("disk_limits")) {
    Obj d(*p, o.child("disk_limits"));
    l.disk_inode_soft = d.u64("inode_soft");
    l.disk_inode_hard = d.u64("inode_hard");
    l.disk_byte_soft = d.u64("byte_soft");
    l.disk_byte_hard = d.u64("byte_hard");
    l.disk_scope = static_cast<uint32_t>(d.u64("scope", 1));
  }
  if (const json* p = o.object("memory_limits")) {
    l.memory_limit_in_bytes = Obj(*p, o.child("memory_limits")).u64("limit_in_bytes");
  }
  if (const json* p = o.object("pid_limits")) {
    l.pid_max = Obj(*p, o.child("pid_limits")).u64("max");
  }
}

std::vector<cc_str> keep_all(StringStore& store, const std::vector<std::string>& values) {
  std::vector<cc_str> out;
  out.reserve(values.size());
  for (const auto& v : values)
    out.push_back(store.keep(v));
  return out;
}

constexpr std::array<const char*, CC_RLIMIT_COUNT> kRlimitNames{
    "as",   "core",   "cpu",   "data", "fsize",  "locks",      "memlock", "msgqueue",
    "nice", "nofile", "nproc", "rss",  "rtprio", "sigpending", "stack"};

std::vector<cc_bind_mount> decode_bind_mounts(const Obj& o, StringStore& st) {
  std::vector<cc_bind_mount> out;
  const json* mounts = o.array("bind_mounts");
  if (mounts == nullptr)
    return out;
  for (size_t i = 0; i < mounts->size(); ++i) {
    Obj m((*mounts)[i], o.child("bind_mounts[" + std::to_string(i) + "]"));
    cc_bind_mount bm{};
    bm.struct_size = sizeof(cc_bind_mount);
    bm.src_path = st.keep(m.str("src_path"));
    bm.dst_path = st.keep(m.str("dst_path"));
    bm.mode = static_cast<uint32_t>(m.u64("mode", CC_BIND_RW));
    bm.origin = static_cast<uint32_t>(m.u64("origin", CC_BIND_ORIGIN_CONTAINER));
    out.push_back(bm);
  }
  return out;
}

std::vector<cc_net_in> decode_net_in(const Obj& o) {
  std::vector<cc_net_in> out;
  const json* netin = o.array("netin");
  if (netin == nullptr)
    return out;
  for (size_t i = 0; i < netin->size(); ++i) {
    Obj n((*netin)[i], o.child("netin[" + std::to_string(i) + "]"));
    out.push_back({static_cast<uint32_t>(n.u64("host_port", kMaxU32)),
                   static_cast<uint32_t>(n.u64("container_port", kMaxU32))});
  }
  return out;
}

// rlimits, limits and tty of a ProcessSpec; each output is set only when the field is present.
bool decode_rlimits(const Obj& o, cc_rlimits& out) {
  const json* rl = o.object("rlimits");
  if (rl == nullptr)
    return false;
  Obj r(*rl, o.child("rlimits"));
  out.struct_size = sizeof(cc_rlimits);
  for (uint32_t i = 0; i < CC_RLIMIT_COUNT; ++i) {
    if (r.get(kRlimitNames[i]) == nullptr)
      continue;
    out.set_mask |= 1u << i;
    out.value[i] = r.u64(kRlimitNames[i]);
  }
  return out.set_mask != 0;
}

bool decode_process_limits(const Obj& o, cc_limits& out) {
  const json* limits = o.object("limits");
  if (limits == nullptr)
    return false;
  Obj l(*limits, o.child("limits"));
  out.struct_size = sizeof(cc_limits);
  if (const json* p = l.object("cpu_limits")) {
    Obj c(*p, l.child("cpu_limits"));
    out.cpu_weight = c.u64("weight");
    out.cpu_limit_in_shares = c.u64("limit_in_shares");
  }
  if (const json* p = l.object("memory_limits")) {
    out.memory_limit_in_bytes = Obj(*p, l.child("memory_limits")).u64("limit_in_bytes");
  }
  return true;
}

bool decode_tty(const Obj& o, cc_tty_size& out) {
  const json* tty = o.object("tty");
  if (tty == nullptr)
    return false;
  Obj t(*tty, o.child("tty"));
  if (const json* ws = t.object("window_size")) {
    Obj w(*ws, t.child("window_size"));
    out.columns = static_cast<uint32_t>(w.u64("columns", kMaxU16));
    out.rows = static_cast<uint32_t>(w.u64("rows", kMaxU16));
  }
  return true;
}

}  // namespace

cc_str StringStore::keep(std::string s) {
  strings_.push_back(std::move(s));
  return cc_str{strings_.back().data(), strings_.back().size()};
}

void NetOutRules::add(const json& j, const std::string& where) {
  Obj o(j, where);
  Rule& r = rules_.emplace_back();
  r.rule.struct_size = sizeof(cc_net_out_rule);
  r.rule.protocol = static_cast<uint32_t>(o.u64("protocol", CC_PROTO_ICMPV6));
  if (const json* nets = o.array("networks")) {
    for (size_t i = 0; i < nets->size(); ++i) {
      std::string at = o.child("networks[" + std::to_string(i) + "]");
      Obj n((*nets)[i], at);
      std::string start = n.str("start");
      std::string end = n.str("end");
      validate_ip(start, at + ".start");
      validate_ip(end, at + ".end");
      r.networks.push_back({strings_.keep(std::move(start)), strings_.keep(std::move(end))});
    }
  }
  if (const json* ports = o.array("ports")) {
    for (size_t i = 0; i < ports->size(); ++i) {
      Obj p((*ports)[i], o.child("ports[" + std::to_string(i) + "]"));
      r.ports.push_back({static_cast<uint32_t>(p.u64("start", kMaxU16)),
                         static_cast<uint32_t>(p.u64("end", kMaxU16))});
    }
  }
  r.rule.icmp_type = -1;
  r.rule.icmp_code = -1;
  if (const json* icmps = o.object("icmps")) {
    Obj ic(*icmps, o.child("icmps"));
    r.rule.icmp_type = static_cast<int32_t>(ic.u64("type", kMaxU8));
    if (ic.get("code") != nullptr)
      r.rule.icmp_code = static_cast<int32_t>(ic.u64("code", kMaxU8));
  }
  r.rule.log = o.boolean("log") ? 1 : 0;
  r.rule.networks = r.networks.data();
  r.rule.network_count = r.networks.size();
  r.rule.ports = r.ports.data();
  r.rule.port_count = r.ports.size();
  ptrs_.push_back(&r.rule);
}

void ContainerSpecData::set_handle(std::string handle) {
  handle_ = std::move(handle);
  spec_.handle = cc_str{handle_.data(), handle_.size()};
}

std::unique_ptr<ContainerSpecData> decode_container_spec(const json& j) {
  auto d = std::make_unique<ContainerSpecData>();
  Obj o(j, "container spec");
  cc_container_spec& s = d->spec_;
  StringStore& st = d->strings_;
  s.struct_size = sizeof(cc_container_spec);

  std::string handle = o.str("handle");
  if (!handle.empty())
    validate_name(handle, "handle");
  d->set_handle(std::move(handle));
  s.grace_time_ns = o.i64("grace_time");
  if (s.grace_time_ns < 0)
    o.fail("grace_time", "a non-negative integer (nanoseconds)");
  s.rootfs = st.keep(o.str("rootfs"));
  if (const json* image = o.object("image")) {
    Obj img(*image, o.child("image"));
    s.image_uri = st.keep(img.str("uri"));
    s.image_username = st.keep(img.str("username"));
    s.image_password = st.keep(img.str("password"));
  }
  d->bind_mounts_ = decode_bind_mounts(o, st);
  for (const auto& bm : d->bind_mounts_)
    d->bind_mount_ptrs_.push_back(&bm);
  s.network = st.keep(o.str("network"));
  if (const json* props = o.object("properties")) {
    for (const auto& [k, v] : props->items()) {
      if (!v.is_string())
        o.fail("properties", "an object of strings");
      d->properties_.push_back({st.keep(k), st.keep(v.get<std::string>())});
    }
  }
  d->env_ = keep_all(st, o.strings("env"));
  s.privileged = o.boolean("privileged") ? 1 : 0;
  if (const json* limits = o.object("limits")) {
    decode_limits(Obj(*limits, o.child("limits")), d->limits_);
    s.limits = &d->limits_;
  }
  if (const json* rules = o.array("netout_rules")) {
    for (size_t i = 0; i < rules->size(); ++i) {
      d->net_out_.add((*rules)[i], o.child("netout_rules[" + std::to_string(i) + "]"));
    }
  }
  d->net_in_ = decode_net_in(o);
  s.bind_mounts = d->bind_mount_ptrs_.data();
  s.bind_mount_count = d->bind_mount_ptrs_.size();
  s.properties = d->properties_.data();
  s.property_count = d->properties_.size();
  s.env = d->env_.data();
  s.env_count = d->env_.size();
  s.net_out = d->net_out_.data();
  s.net_out_count = d->net_out_.size();
  s.net_in = d->net_in_.data();
  s.net_in_count = d->net_in_.size();
  return d;
}

void ProcessSpecData::set_id(std::string id) {
  id_ = std::move(id);
  spec_.id = cc_str{id_.data(), id_.size()};
}

std::unique_ptr<ProcessSpecData> decode_process_spec(const json& j) {
  auto d = std::make_unique<ProcessSpecData>();
  Obj o(j, "process spec");
  cc_process_spec& s = d->spec_;
  StringStore& st = d->strings_;
  s.struct_size = sizeof(cc_process_spec);

  std::string id = o.str("id");
  if (!id.empty())
    validate_name(id, "process id");
  d->set_id(std::move(id));
  s.path = st.keep(o.str("path"));
  if (s.path.len == 0)
    o.fail("path", "a non-empty string");
  d->args_ = keep_all(st, o.strings("args"));
  d->env_ = keep_all(st, o.strings("env"));
  s.args = d->args_.data();
  s.arg_count = d->args_.size();
  s.env = d->env_.data();
  s.env_count = d->env_.size();
  s.dir = st.keep(o.str("dir"));
  s.user = st.keep(o.str("user"));
  if (decode_rlimits(o, d->rlimits_))
    s.rlimits = &d->rlimits_;
  if (decode_process_limits(o, d->limits_))
    s.limits = &d->limits_;
  if (decode_tty(o, d->tty_))
    s.tty = &d->tty_;
  if (const json* image = o.object("image")) {
    d->wants_image_ = !Obj(*image, o.child("image")).str("uri").empty();
  }
  if (const json* mounts = o.array("bind_mounts"))
    d->wants_image_ |= !mounts->empty();
  return d;
}

ProcessFrame decode_process_frame(const json& j) {
  Obj o(j, "process payload");
  ProcessFrame f;
  if (const json* tty = o.object("tty")) {
    Obj t(*tty, o.child("tty"));
    f.kind = ProcessFrame::Kind::Resize;
    if (const json* ws = t.object("window_size")) {
      Obj w(*ws, t.child("window_size"));
      f.size.columns = static_cast<uint32_t>(w.u64("columns", kMaxU16));
      f.size.rows = static_cast<uint32_t>(w.u64("rows", kMaxU16));
    }
  } else if (o.get("source") != nullptr) {
    o.i64("source");
    const json* data = o.get("data");
    if (data != nullptr && !data->is_string())
      o.fail("data", "a string");
    f.kind = data == nullptr ? ProcessFrame::Kind::StdinEof : ProcessFrame::Kind::Stdin;
    if (data != nullptr)
      f.data = data->get<std::string>();
  } else if (o.get("signal") != nullptr) {
    f.kind = ProcessFrame::Kind::Signal;
    f.signal = o.i64("signal");
  }
  return f;
}

bool decode_stop_request(const json& j) {
  return Obj(j, "stop request").boolean("kill");
}

std::pair<uint32_t, uint32_t> decode_net_in_request(const json& j) {
  Obj o(j, "net in request");
  return {static_cast<uint32_t>(o.u64("host_port", kMaxU32)),
          static_cast<uint32_t>(o.u64("container_port", kMaxU32))};
}

std::string decode_property_value(const json& j) {
  return Obj(j, "property").str("value");
}

int64_t decode_grace_time(const json& j) {
  if (!j.is_number_integer() ||
      (j.is_number_unsigned() &&
       j.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
    throw bad_request("invalid grace time: expected a bare JSON integer of nanoseconds");
  }
  int64_t ns = j.get<int64_t>();
  if (ns < 0)
    throw bad_request("invalid grace time: must not be negative");
  return ns;
}

}  // namespace concourse::worker::garden
