#include "process_spec.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace concourse::guardian {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

User lookup_user(const std::string& rootfs, const std::string& user) {
  User u;
  if (user.empty() || user == "root")
    return u;
  std::string name = user.substr(0, user.find(':'));
  if (all_digits(name)) {
    u.uid = static_cast<uint32_t>(std::stoul(name));
    auto colon = user.find(':');
    std::string g = colon == std::string::npos ? name : user.substr(colon + 1);
    u.gid = all_digits(g) ? static_cast<uint32_t>(std::stoul(g)) : u.uid;
    u.name = name;
    u.home = "/";
    return u;
  }
  std::ifstream passwd(rootfs + "/etc/passwd");
  for (std::string line; std::getline(passwd, line);) {
    std::vector<std::string> f;
    std::istringstream in(line);
    for (std::string part; std::getline(in, part, ':');)
      f.push_back(part);
    if (f.size() >= 6 && f[0] == name && all_digits(f[2]) && all_digits(f[3])) {
      u.uid = static_cast<uint32_t>(std::stoul(f[2]));
      u.gid = static_cast<uint32_t>(std::stoul(f[3]));
      u.name = name;
      u.home = f[5];
      return u;
    }
  }
  throw sdk::Error(CC_E_NOT_FOUND, "user '" + user + "' not found in the rootfs's /etc/passwd");
}

std::string env_value(const std::vector<std::string>& env, const std::string& key) {
  std::string value;
  for (const auto& kv : env) {
    if (kv.rfind(key + "=", 0) == 0)
      value = kv.substr(key.size() + 1);
  }
  return value;
}

std::vector<std::string> process_env(const std::vector<std::string>& container,
                                     const std::vector<std::string>& process, const User& u) {
  std::vector<std::string> out;
  std::map<std::string, size_t> index;
  auto add = [&](const std::string& kv, bool overwrite) {
    auto key = kv.substr(0, kv.find('='));
    if (auto it = index.find(key); it != index.end()) {
      if (overwrite)
        out[it->second] = kv;
      return;
    }
    index[key] = out.size();
    out.push_back(kv);
  };
  for (const auto& kv : container)
    add(kv, true);
  for (const auto& kv : process)
    add(kv, true);
  add("PATH=" + std::string(kDefaultPath), false);
  add("USER=" + u.name, false);
  add("HOME=" + u.home, false);
  return out;
}

nlohmann::json process_json(const sdk::ProcessSpec& spec, const std::vector<std::string>& env,
                            const User& u, const nlohmann::json& capabilities,
                            bool no_new_privileges) {
  std::vector<std::string> args = {spec.path};
  args.insert(args.end(), spec.args.begin(), spec.args.end());
  nlohmann::json p = {{"terminal", spec.tty.has_value()},
                      {"user", {{"uid", u.uid}, {"gid", u.gid}}},
                      {"args", args},
                      {"env", env},
                      {"cwd", spec.dir.empty() ? u.home : spec.dir},
                      {"capabilities", capabilities},
                      {"noNewPrivileges", no_new_privileges}};
  if (spec.tty)
    p["consoleSize"] = {{"height", spec.tty->rows}, {"width", spec.tty->columns}};
  return p;
}

}  // namespace concourse::guardian
