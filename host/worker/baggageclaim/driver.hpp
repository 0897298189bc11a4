// How a volume's data directory comes to be: `naive` copies (works anywhere), `overlay` mounts
// copy-on-write children over their parents (root only). `detect` picks overlay when it works.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace concourse::worker::baggageclaim {

class Driver {
 public:
  virtual ~Driver() = default;
  virtual const std::string& name() const = 0;
  // Makes `data` (which does not exist yet) a copy-on-write child whose parent's data is
  // parent_data; parent_lower is the parent's own lower chain (empty for a plain volume).
  // Returns the lower chain of the child (for overlay; empty for naive).
  virtual std::vector<std::string> make_cow(const std::string& data, const std::string& parent_data,
                                            const std::vector<std::string>& parent_lower,
                                            const std::string& parent_handle,
                                            const std::string& handle) = 0;
  // Re-establishes a child's mount after a reboot (no-op when still mounted or naive).
  virtual void restore(const std::string& data, const std::vector<std::string>& lower,
                       const std::string& handle) = 0;
  // Undoes make_cow before the directory is removed.
  virtual void release(const std::string& data, const std::string& handle) = 0;
};

// "naive" | "overlay" | "detect"; throws core::Error(CC_E_INVALID) for anything else and
// CC_E_PERMISSION when overlay is asked for but cannot work here.
std::unique_ptr<Driver> make_driver(const std::string& name, const std::string& overlays_dir);

// A recursive copy that keeps modes, ownership (when root), times and symlinks.
void copy_tree(const std::string& from, const std::string& to, bool follow_symlinks);

}  // namespace concourse::worker::baggageclaim
