#include "worker/baggageclaim/driver.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace concourse::worker::baggageclaim {
namespace fs = std::filesystem;
using core::Error;

namespace {

void copy_meta(const fs::path& from, const fs::path& to, const struct stat& st) {
  if (::geteuid() == 0)
    ::lchown(to.c_str(), st.st_uid, st.st_gid);
  if (!S_ISLNK(st.st_mode))
    ::chmod(to.c_str(), st.st_mode & 07777);
  timespec times[2] = {st.st_atim, st.st_mtim};
  ::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW);
  (void)from;
}

bool mounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss(line);
    std::string id, parent, dev, root, mnt;
    ss >> id >> parent >> dev >> root >> mnt;
    if (mnt == path)
      return true;
  }
  return false;
}

class NaiveDriver final : public Driver {
 public:
  const std::string& name() const override { return name_; }
  std::vector<std::string> make_cow(const std::string& data, const std::string& parent_data,
                                    const std::vector<std::string>&, const std::string&,
                                    const std::string&) override {
    copy_tree(parent_data, data, false);
    return {};
  }
  void restore(const std::string&, const std::vector<std::string>&, const std::string&) override {}
  void release(const std::string&, const std::string&) override {}

 private:
  std::string name_ = "naive";
};

class OverlayDriver final : public Driver {
 public:
  explicit OverlayDriver(std::string overlays) : overlays_(std::move(overlays)) {}
  const std::string& name() const override { return name_; }

  std::vector<std::string> make_cow(const std::string& data, const std::string& parent_data,
                                    const std::vector<std::string>& parent_lower,
                                    const std::string& parent_handle,
                                    const std::string& handle) override {
    // A child of a child stacks layers (parent's upper over the parent's lowers) instead of
    // mounting over another overlay mount, which the kernel limits to two levels.
    std::vector<std::string> lower;
    if (parent_lower.empty()) {
      lower.push_back(parent_data);
    } else {
      lower.push_back(upper(parent_handle));
      lower.insert(lower.end(), parent_lower.begin(), parent_lower.end());
    }
    mount(data, lower, handle);
    return lower;
  }

  void restore(const std::string& data, const std::vector<std::string>& lower,
               const std::string& handle) override {
    if (!lower.empty() && !mounted(data))
      mount(data, lower, handle);
  }

  void release(const std::string& data, const std::string& handle) override {
    if (mounted(data))
      ::umount2(data.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(fs::path(overlays_) / handle, ec);
  }

  void mount(const std::string& data, const std::vector<std::string>& lower,
             const std::string& handle) {
    fs::create_directories(upper(handle));
    fs::create_directories(work(handle));
    fs::create_directories(data);
    std::string opts = "lowerdir=";
    for (size_t i = 0; i < lower.size(); ++i)
      opts += (i ? ":" : "") + lower[i];
    opts += ",upperdir=" + upper(handle) + ",workdir=" + work(handle);
    if (::mount("overlay", data.c_str(), "overlay", 0, opts.c_str()) != 0) {
      throw Error(CC_E_INTERNAL, "mount overlay for " + handle + ": " + std::strerror(errno));
    }
  }

 private:
  std::string upper(const std::string& h) const {
    return (fs::path(overlays_) / h / "upper").string();
  }
  std::string work(const std::string& h) const {
    return (fs::path(overlays_) / h / "work").string();
  }
  std::string overlays_;
  std::string name_ = "overlay";
};

bool overlay_works(const std::string& overlays) {
  if (::geteuid() != 0)
    return false;
  fs::path probe = fs::path(overlays) / ".probe";
  std::error_code ec;
  fs::remove_all(probe, ec);
  for (auto d : {"lower", "upper", "work", "merged"})
    fs::create_directories(probe / d, ec);
  std::string opts = "lowerdir=" + (probe / "lower").string() +
                     ",upperdir=" + (probe / "upper").string() +
                     ",workdir=" + (probe / "work").string();
  bool ok = ::mount("overlay", (probe / "merged").c_str(), "overlay", 0, opts.c_str()) == 0;
  if (ok)
    ::umount2((probe / "merged").c_str(), MNT_DETACH);
  fs::remove_all(probe, ec);
  return ok;
}

}  // namespace

void copy_tree(const std::string& from, const std::string& to, bool follow_symlinks) {
  fs::create_directories(to);
  struct stat root {};
  if (::stat(from.c_str(), &root) == 0)
    copy_meta(from, to, root);
  auto opts = follow_symlinks ? fs::directory_options::follow_directory_symlink
                              : fs::directory_options::none;
  for (auto it = fs::recursive_directory_iterator(from, opts);
       it != fs::recursive_directory_iterator(); ++it) {
    fs::path src = it->path();
    fs::path dst = fs::path(to) / fs::relative(src, from);
    struct stat st {};
    int rc = follow_symlinks ? ::stat(src.c_str(), &st) : ::lstat(src.c_str(), &st);
    if (rc != 0)
      throw Error(CC_E_INTERNAL, "stat " + src.string() + ": " + std::strerror(errno));
    if (S_ISLNK(st.st_mode)) {
      fs::copy_symlink(src, dst);
    } else if (S_ISDIR(st.st_mode)) {
      fs::create_directory(dst);
    } else if (S_ISREG(st.st_mode)) {
      fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    } else {
      continue;  // devices, fifos and sockets are not volume content
    }
    copy_meta(src, dst, st);
  }
}

std::unique_ptr<Driver> make_driver(const std::string& name, const std::string& overlays_dir) {
  fs::create_directories(overlays_dir);
  if (name == "naive")
    return std::make_unique<NaiveDriver>();
  if (name == "overlay") {
    if (!overlay_works(overlays_dir)) {
      throw Error(CC_E_PERMISSION,
                  "the overlay driver needs root and a kernel that mounts overlayfs");
    }
    return std::make_unique<OverlayDriver>(overlays_dir);
  }
  if (name == "detect") {
    if (overlay_works(overlays_dir))
      return std::make_unique<OverlayDriver>(overlays_dir);
    return std::make_unique<NaiveDriver>();
  }
  throw Error(CC_E_INVALID, "unknown baggageclaim driver '" + name +
                                "' (expected detect, naive or overlay; btrfs is not supported)");
}

}  // namespace concourse::worker::baggageclaim
