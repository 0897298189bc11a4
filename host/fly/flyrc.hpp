// ~/.flyrc in Concourse's format:
//   targets: { NAME: { api: URL, team: TEAM, insecure: BOOL, token: { type: T, value: V },
//              ca_cert: PEM } }
// Saving one target edits only that target's keys in the loaded document, so other targets
// (and keys this fly does not know) survive a login untouched.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>

namespace concourse::fly {

struct TargetToken {
  std::string type;
  std::string value;
};

struct TargetProps {
  std::string api;
  std::string team = "main";
  bool insecure = false;
  std::optional<TargetToken> token;
  std::string ca_cert;
};

class Flyrc {
 public:
  // $HOME/.flyrc; throws Failure when HOME is unset.
  static std::string default_path();
  // A missing file is an empty flyrc; malformed YAML throws Failure naming the file.
  static Flyrc load(const std::string& path);

  // Targets by name, the team defaulted to "main" as fly does.
  std::map<std::string, TargetProps> targets() const;
  // Throws Failure("unknown target: NAME").
  TargetProps target(const std::string& name) const;
  void save_target(const std::string& name, const TargetProps& props);
  // Writes through a temporary file renamed into place, mode 0600 (it holds tokens).
  void write(const std::string& path) const;

 private:
  YAML::Node root_;
};

}  // namespace concourse::fly
