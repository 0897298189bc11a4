// Container root filesystems. A raw:///path rootfs (a Baggageclaim volume, already private to
// the container) is used as is, as Concourse's containerd backend does. Containers created
// without one get the configured default rootfs through a private overlay (lower = the default
// rootfs, upper/work under the container's directory), so writes never touch the shared copy.
#pragma once

#include <string>

namespace concourse::containerd {

// "raw:///abs/dir" -> "/abs/dir"; throws CC_E_INVALID for other schemes or a missing directory.
std::string raw_rootfs_path(const std::string& uri);

// Mounts the overlay at <container_dir>/rootfs and returns that path. root_uid/gid own the upper
// directory (the mapped root of an unprivileged container).
std::string mount_overlay_rootfs(const std::string& lower, const std::string& container_dir,
                                 uint32_t root_uid, uint32_t root_gid);
// Whether path is a mount point; remounts are needed after a reboot only.
bool is_mounted(const std::string& path);
// Lazily unmounts <container_dir>/rootfs if mounted and removes container_dir.
void remove_container_dir(const std::string& container_dir);

}  // namespace concourse::containerd
