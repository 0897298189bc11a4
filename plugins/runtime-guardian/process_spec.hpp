// Turning a Garden process spec into the process.json `runc exec --process` reads: the user
// looked up in the rootfs's /etc/passwd (as Garden does), env over the container's, default PATH.
#pragma once

#include <concourse/sdk.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace concourse::guardian {

struct User {
  uint32_t uid = 0, gid = 0;
  std::string name = "root", home = "/root";
};

// "" and "root" are root; "uid[:gid]" is numeric; a name is looked up in <rootfs>/etc/passwd.
// Throws sdk::Error(CC_E_NOT_FOUND) for an unknown name.
User lookup_user(const std::string& rootfs, const std::string& user);

// Container env, then process env (later keys win), with USER, HOME and a default PATH added
// when absent.
std::vector<std::string> process_env(const std::vector<std::string>& container,
                                     const std::vector<std::string>& process, const User& u);

// The process.json; `capabilities` comes from the container's config.json.
nlohmann::json process_json(const sdk::ProcessSpec& spec, const std::vector<std::string>& env,
                            const User& u, const nlohmann::json& capabilities,
                            bool no_new_privileges);

std::string env_value(const std::vector<std::string>& env, const std::string& key);

}  // namespace concourse::guardian
