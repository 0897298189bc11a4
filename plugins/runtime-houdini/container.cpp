#include "container.hpp"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace concourse::houdini {
namespace fs = std::filesystem;
using nlohmann::json;

ProcState::~ProcState() {
  if (tty_fd >= 0)
    ::close(tty_fd);
}

void save_container(const std::string& state_dir, const Container& c) {
  json j{{"handle", c.handle},
         {"root", c.root},
         {"chroot", c.chroot},
         {"env", c.env},
         {"properties", c.properties},
         {"grace_time_ns", c.grace_time_ns},
         {"created_at_ns", c.created_at_ns},
         {"mounts", c.mounts},
         {"version", 1}};
  fs::create_directories(state_dir);
  fs::path target = fs::path(state_dir) / (c.handle + ".json");
  fs::path tmp = target;
  tmp += ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump();
    if (!out)
      throw sdk::Error(CC_E_INTERNAL, "write container state " + tmp.string());
  }
  fs::rename(tmp, target);
}

void remove_container_state(const std::string& state_dir, const std::string& handle) {
  std::error_code ec;
  fs::remove(fs::path(state_dir) / (handle + ".json"), ec);
}

std::vector<Container> load_containers(const std::string& state_dir) {
  std::vector<Container> out;
  if (!fs::is_directory(state_dir))
    return out;
  for (const auto& e : fs::directory_iterator(state_dir)) {
    if (e.path().extension() != ".json")
      continue;
    std::ifstream in(e.path());
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || j.value("version", 0) != 1)
      continue;  // not ours or a future format
    Container c;
    c.handle = j.value("handle", "");
    c.root = j.value("root", "");
    c.chroot = j.value("chroot", false);
    c.env = j.value("env", std::vector<std::string>{});
    c.properties = j.value("properties", sdk::Properties{});
    c.grace_time_ns = j.value("grace_time_ns", int64_t{0});
    c.created_at_ns = j.value("created_at_ns", int64_t{0});
    c.mounts = j.value("mounts", std::vector<std::string>{});
    if (!c.handle.empty() && !c.root.empty())
      out.push_back(std::move(c));
  }
  return out;
}

bool is_mount_point(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, parent, dev, root, mnt;
    ss >> id >> parent >> dev >> root >> mnt;
    if (mnt == path)
      return true;
  }
  return false;
}

void bind_mount(const std::string& src, const std::string& target, bool read_only) {
  std::error_code ec;
  if (fs::is_directory(src)) {
    fs::create_directories(target, ec);
  } else if (!fs::exists(target)) {
    fs::create_directories(fs::path(target).parent_path(), ec);
    std::ofstream(target).put('\0').seekp(0);
    fs::resize_file(target, 0, ec);
  }
  if (::mount(src.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    throw sdk::Error(errno == EPERM ? CC_E_PERMISSION : CC_E_INTERNAL,
                     "bind mount " + src + " on " + target + ": " + std::strerror(errno));
  }
  // Our mounts must not leak back into the host's mount namespace, nor theirs into ours.
  ::mount(nullptr, target.c_str(), nullptr, MS_PRIVATE | MS_REC, nullptr);
  if (read_only &&
      ::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
    int e = errno;
    ::umount2(target.c_str(), MNT_DETACH);
    throw sdk::Error(CC_E_INTERNAL, "remount " + target + " read-only: " + std::strerror(e));
  }
}

void unmount_all(const std::vector<std::string>& targets) {
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    if (is_mount_point(*it))
      ::umount2(it->c_str(), MNT_DETACH);
  }
}

std::string inside(const std::string& root, const std::string& path) {
  std::vector<std::string> parts;
  std::string comp;
  std::istringstream in(path);
  while (std::getline(in, comp, '/')) {
    if (comp.empty() || comp == ".")
      continue;
    if (comp == "..") {
      if (parts.empty())
        throw sdk::Error(CC_E_INVALID, "path escapes the container: " + path);
      parts.pop_back();
      continue;
    }
    parts.push_back(comp);
  }
  std::string out = root;
  while (out.size() > 1 && out.back() == '/')
    out.pop_back();
  for (const auto& p : parts)
    out += "/" + p;
  return out;
}

}  // namespace concourse::houdini
