// The bundled resource-type installer: discover lists `<dir>/<type>/` and
// `<dir>/<type>/<version>/` entries; install fills the host's empty target directory with the
// entry's rootfs and then writes a completion marker; verify accepts a target only when the
// marker is there and the rootfs has the resource interface (/opt/resource/check).
#pragma once

#include <concourse/sdk.hpp>
#include <string>
#include <vector>

namespace concourse::installer {

// Written last into the target (by rename), so its presence means the unpack completed. It
// lives in the rootfs root because the target directory is all the plugin may write.
inline constexpr const char* kMarker = ".concourse-resource-type.json";

class Bundled final : public sdk::Installer {
 public:
  Bundled(const sdk::Host& host, const sdk::InstanceParams& params);
  std::vector<cc_resource_type_entry> discover(const sdk::Call& call, const std::string& dir,
                                               std::vector<std::string>& storage) override;
  void install(const sdk::Call& call, const cc_resource_type_entry& entry,
               const std::string& target_dir) override;
  void verify(const sdk::Call& call, const std::string& target_dir) override;
};

}  // namespace concourse::installer
