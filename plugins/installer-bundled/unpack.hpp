// Filling an install target: a rootfs.tgz unpacked with libarchive, refusing hostile entries
// (absolute paths, `..`, hard links leaving the target, writes through symlinks), or a rootfs/
// directory copied with its symlinks kept as links.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace concourse::installer {

// Called after each entry with the archive bytes consumed so far and the archive's size.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

// Throws sdk::Error(CC_E_INVALID) naming the first hostile entry, CC_E_INTERNAL on unreadable or
// truncated archives. Returns the number of entries written.
uint64_t unpack_tgz(const std::string& archive, const std::string& target,
                    const Progress& progress = {});
// Throws sdk::Error(CC_E_INTERNAL) on failure. Returns the number of entries copied.
uint64_t copy_rootfs_dir(const std::string& source, const std::string& target);

// True when a relative archive path stays inside its root (no leading '/', no `..` part).
bool safe_entry_path(const std::string& path);

}  // namespace concourse::installer
