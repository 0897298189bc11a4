#include "unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <concourse/sdk.hpp>
#include <filesystem>
#include <memory>

namespace concourse::installer {
namespace fs = std::filesystem;
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

[[noreturn]] void io_error(const std::string& what, archive* a) {
  const char* msg = archive_error_string(a);
  throw sdk::Error(CC_E_INTERNAL,
                   what + ": " + (msg != nullptr ? msg : "unknown libarchive error"));
}

// Rewrites the entry's paths below target after checking them; throws on a hostile entry.
void relocate(archive_entry* e, const fs::path& target) {
  std::string name = archive_entry_pathname(e) != nullptr ? archive_entry_pathname(e) : "";
  if (!safe_entry_path(name))
    throw sdk::Error(CC_E_INVALID, "refusing hostile tar entry '" + name + "'");
  archive_entry_copy_pathname(e, (target / name).c_str());
  if (const char* link = archive_entry_hardlink(e)) {
    if (!safe_entry_path(link)) {
      throw sdk::Error(CC_E_INVALID, "refusing tar hard link '" + name + "' to '" + link +
                                         "' outside the rootfs");
    }
    archive_entry_copy_hardlink(e, (target / link).c_str());
  }
}

void copy_data(archive* in, archive* out) {
  const void* buf = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  for (;;) {
    int rc = archive_read_data_block(in, &buf, &size, &offset);
    if (rc == ARCHIVE_EOF)
      return;
    if (rc < ARCHIVE_WARN)
      io_error("reading archive data", in);
    if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN)
      io_error("writing extracted data", out);
  }
}

int extract_flags() {
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK;
  // Ownership only means something (and only works) when the worker runs as root.
  if (geteuid() == 0)
    flags |= ARCHIVE_EXTRACT_OWNER;
  return flags;
}

}  // namespace

bool safe_entry_path(const std::string& path) {
  if (path.empty() || path.front() == '/')
    return false;
  for (const auto& part : fs::path(path)) {
    if (part == "..")
      return false;
  }
  return true;
}

uint64_t unpack_tgz(const std::string& archive_path, const std::string& target,
                    const Progress& progress) {
  ReadPtr in(archive_read_new(), &archive_read_free);
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  if (archive_read_open_filename(in.get(), archive_path.c_str(), 64 * 1024) != ARCHIVE_OK)
    io_error("opening " + archive_path, in.get());
  WritePtr out(archive_write_disk_new(), &archive_write_free);
  archive_write_disk_set_options(out.get(), extract_flags());
  archive_write_disk_set_standard_lookup(out.get());
  std::error_code ec;
  uint64_t total = fs::file_size(archive_path, ec);
  uint64_t entries = 0;
  // Canonical, so the symlink check never trips over a symlink above the target itself.
  const fs::path root = fs::weakly_canonical(fs::absolute(target));
  for (;;) {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(in.get(), &e);
    if (rc == ARCHIVE_EOF)
      break;
    if (rc < ARCHIVE_WARN)
      io_error("reading " + archive_path, in.get());
    relocate(e, root);
    if (archive_write_header(out.get(), e) < ARCHIVE_WARN)
      io_error("extracting " + std::string(archive_entry_pathname(e)), out.get());
    if (archive_entry_size(e) > 0)
      copy_data(in.get(), out.get());
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN)
      io_error("finishing " + std::string(archive_entry_pathname(e)), out.get());
    ++entries;
    if (progress)
      progress(static_cast<uint64_t>(archive_filter_bytes(in.get(), -1)), total);
  }
  if (archive_write_close(out.get()) != ARCHIVE_OK)
    io_error("closing extraction", out.get());
  return entries;
}

uint64_t copy_rootfs_dir(const std::string& source, const std::string& target) {
  std::error_code ec;
  fs::copy(source, target, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec)
    throw sdk::Error(CC_E_INTERNAL, "copying " + source + " to " + target + ": " + ec.message());
  uint64_t n = 0;
  for (auto it = fs::recursive_directory_iterator(target, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

}  // namespace concourse::installer
