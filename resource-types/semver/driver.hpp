// Where the semver resource keeps its version. Only the git driver is implemented: the other
// real drivers (s3, gcs, swift) need network services this build does not talk to.
#pragma once

#include "resource.hpp"
#include "semver.hpp"

#include <filesystem>
#include <optional>

namespace concourse::resource::semver {

class GitDriver {
 public:
  explicit GitDriver(const json& source);
  std::vector<Version> check(const std::optional<Version>& cursor);
  Version bump(const BumpParams& params);
  void set(const Version& v);

 private:
  void set_up_repo();
  void set_user_info();
  std::optional<Version> read_version();
  bool write_version(const Version& v);
  std::vector<Version> older_versions(const Version& cursor, const Version& current);

  Version initial_;
  std::string uri_, branch_, file_, git_user_, commit_message_;
  std::filesystem::path repo_;
};

}  // namespace concourse::resource::semver
