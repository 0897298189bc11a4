#include "rootfs.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <concourse/sdk.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace concourse::containerd {
namespace fs = std::filesystem;

std::string raw_rootfs_path(const std::string& uri) {
  if (uri.rfind("raw://", 0) != 0) {
    throw sdk::Error(CC_E_INVALID,
                     "containerd supports raw:// rootfs only (no image registry), got " + uri);
  }
  std::string path = uri.substr(6);
  if (path.empty() || path[0] != '/' || !fs::is_directory(path))
    throw sdk::Error(CC_E_INVALID, "rootfs " + uri + " is not an existing directory");
  return path;
}

bool is_mounted(const std::string& path) {
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line;
  while (std::getline(mounts, line)) {
    // Field 5 is the mount point (spaces escaped as \040; our paths have none).
    size_t pos = 0;
    for (int i = 0; i < 4 && pos != std::string::npos; ++i)
      pos = line.find(' ', pos + 1);
    if (pos == std::string::npos)
      continue;
    size_t end = line.find(' ', pos + 1);
    if (line.substr(pos + 1, end - pos - 1) == path)
      return true;
  }
  return false;
}

std::string mount_overlay_rootfs(const std::string& lower, const std::string& container_dir,
                                 uint32_t root_uid, uint32_t root_gid) {
  std::string upper = container_dir + "/upper", work = container_dir + "/work",
              target = container_dir + "/rootfs";
  for (const auto& d : {upper, work, target})
    fs::create_directories(d);
  if (::chown(upper.c_str(), root_uid, root_gid) != 0)
    throw sdk::Error(CC_E_INTERNAL, "chown " + upper + ": " + std::strerror(errno));
  if (is_mounted(target))
    return target;
  std::string opts = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
  if (::mount("overlay", target.c_str(), "overlay", 0, opts.c_str()) != 0) {
    int e = errno;
    throw sdk::Error(e == EPERM ? CC_E_PERMISSION : CC_E_INTERNAL,
                     "mount overlay rootfs at " + target + ": " + std::strerror(e));
  }
  return target;
}

void remove_container_dir(const std::string& container_dir) {
  std::string target = container_dir + "/rootfs";
  if (is_mounted(target))
    ::umount2(target.c_str(), MNT_DETACH);
  std::error_code ec;
  // Never cross into a mount that is still there (a failed unmount): remove_all would follow.
  if (!is_mounted(target))
    fs::remove_all(container_dir, ec);
}

}  // namespace concourse::containerd
