// Finding resource types in a directory: `<dir>/<type>/` and `<dir>/<type>/<version>/`, each
// holding resource_metadata.json and either rootfs.tgz or an unpacked rootfs/ directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace concourse::installer {

struct Found {
  uint32_t format = 0;  // CC_RT_FORMAT_*
  std::string type, version, rootfs_path;
  bool privileged = false;
  bool unique_version_history = false;
};

// Entries without metadata or rootfs are skipped (build leftovers, copies still in progress);
// so is a metadata file that is not a JSON object with a string "type". The version is the
// metadata's "version", else the version directory's name, else "". Sorted by type, version.
std::vector<Found> discover_dir(const std::string& dir);

}  // namespace concourse::installer
