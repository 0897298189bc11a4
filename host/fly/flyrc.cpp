#include "fly/flyrc.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fly/fly.hpp"

namespace concourse::fly {
namespace {

std::string scalar_or_empty(const YAML::Node& node, const char* key) {
  YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

TargetProps props_from(const YAML::Node& node) {
  TargetProps p;
  p.api = scalar_or_empty(node, "api");
  std::string team = scalar_or_empty(node, "team");
  if (!team.empty())
    p.team = team;
  if (YAML::Node v = node["insecure"]; v && v.IsScalar())
    p.insecure = v.as<bool>(false);
  p.ca_cert = scalar_or_empty(node, "ca_cert");
  if (YAML::Node t = node["token"]; t && t.IsMap())
    p.token = TargetToken{scalar_or_empty(t, "type"), scalar_or_empty(t, "value")};
  return p;
}

void write_all(int fd, const std::string& data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw Failure("writing " + path + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string Flyrc::default_path() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0')
    throw Failure("could not detect home directory for .flyrc");
  return std::string(home) + "/.flyrc";
}

Flyrc Flyrc::load(const std::string& path) {
  Flyrc rc;
  std::ifstream in(path);
  if (!in)
    return rc;
  std::stringstream text;
  text << in.rdbuf();
  try {
    rc.root_ = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    throw Failure("in the file '" + path + "': " + e.what());
  }
  if (rc.root_.IsNull())
    rc.root_ = YAML::Node(YAML::NodeType::Map);
  if (!rc.root_.IsMap())
    throw Failure("in the file '" + path + "': expected a mapping at the top level");
  if (YAML::Node t = rc.root_["targets"]; t && !t.IsMap() && !t.IsNull())
    throw Failure("in the file '" + path + "': 'targets' must be a mapping");
  return rc;
}

std::map<std::string, TargetProps> Flyrc::targets() const {
  std::map<std::string, TargetProps> out;
  YAML::Node t = root_["targets"];
  if (!t || !t.IsMap())
    return out;
  for (const auto& kv : t)
    out[kv.first.as<std::string>()] = kv.second.IsMap() ? props_from(kv.second) : TargetProps{};
  return out;
}

TargetProps Flyrc::target(const std::string& name) const {
  auto all = targets();
  auto it = all.find(name);
  if (it == all.end())
    throw Failure("unknown target: " + name);
  return it->second;
}

void Flyrc::save_target(const std::string& name, const TargetProps& props) {
  if (!root_.IsMap())
    root_ = YAML::Node(YAML::NodeType::Map);
  if (!root_["targets"] || !root_["targets"].IsMap())
    root_["targets"] = YAML::Node(YAML::NodeType::Map);
  YAML::Node node = root_["targets"][name];
  if (!node.IsMap())
    node = YAML::Node(YAML::NodeType::Map);
  node["api"] = props.api;
  node["team"] = props.team;
  // omitempty in fly's struct tags: absent rather than false / empty.
  if (props.insecure)
    node["insecure"] = true;
  else
    node.remove("insecure");
  if (props.token) {
    YAML::Node tok(YAML::NodeType::Map);
    tok["type"] = props.token->type;
    tok["value"] = props.token->value;
    node["token"] = tok;
  } else {
    node.remove("token");
  }
  if (!props.ca_cert.empty())
    node["ca_cert"] = props.ca_cert;
  else
    node.remove("ca_cert");
  root_["targets"][name] = node;
}

void Flyrc::write(const std::string& path) const {
  YAML::Emitter emitter;
  emitter << root_;
  std::string data = std::string(emitter.c_str()) + "\n";
  // A HOME that does not exist yet (a fresh account, a test's temp HOME) is created, as Go's
  // fly does when it writes the file.
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty())
    std::filesystem::create_directories(parent, ec);
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw Failure("writing " + path + ": " + std::strerror(errno));
  try {
    write_all(fd, data, path);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // The umask cannot widen 0600, but a pre-existing tmp file could have other bits.
  ::fchmod(fd, 0600);
  if (::close(fd) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Failure("writing " + path + ": " + reason);
  }
}

}  // namespace concourse::fly
