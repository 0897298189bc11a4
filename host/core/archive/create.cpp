// Tar streams of directories on disk, written straight to a file descriptor (a socket or a pipe)
// in 64 KiB blocks: no intermediate buffer of ours, no extra copy.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <cerrno>

#include <memory>

#include "core/archive/archive.hpp"
#include "core/error.hpp"

namespace concourse::core::archive {
namespace {

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

struct Root {
  std::string disk;    // what is walked on disk, without a trailing "/"
  std::string prefix;  // its name inside the archive: "." or the last path component
};

Root root_of(const std::string& path) {
  std::string p = path;
  bool contents = false;
  if (p.size() >= 2 && p.compare(p.size() - 2, 2, "/.") == 0) {
    p.resize(p.size() - 1);
  }
  while (p.size() > 1 && p.back() == '/') {
    p.pop_back();
    contents = true;
  }
  if (p == "/")
    contents = true;
  std::string name = p.substr(p.find_last_of('/') + 1);
  return {p, contents || name.empty() ? "." : name};
}

void check(struct archive* a, int r, const char* what) {
  if (r >= ARCHIVE_WARN)
    return;
  std::string msg = archive_error_string(a) != nullptr ? archive_error_string(a) : "unknown";
  // A reader that hung up is the client's doing, not ours.
  int code = archive_errno(a) == EPIPE || archive_errno(a) == ECONNRESET ? CC_E_UNAVAILABLE
                                                                         : CC_E_INTERNAL;
  throw Error(code, std::string(what) + ": " + msg);
}

}  // namespace

void create_fd(const std::string& path, int out_fd, const CreateOptions& opts) {
  Root root = root_of(path);
  struct stat st {};
  if (::lstat(root.disk.c_str(), &st) != 0) {
    throw Error(CC_E_NOT_FOUND, "no such file or directory: " + path);
  }
  ArchivePtr disk(archive_read_disk_new(), archive_read_free);
  ArchivePtr out(archive_write_new(), archive_write_free);
  archive_read_disk_set_symlink_physical(disk.get());
  archive_read_disk_set_standard_lookup(disk.get());
  archive_write_set_format_pax_restricted(out.get());
  if (opts.encoding == Encoding::Gzip)
    archive_write_add_filter_gzip(out.get());
  if (opts.encoding == Encoding::Zstd)
    archive_write_add_filter_zstd(out.get());
  archive_write_set_bytes_per_block(out.get(), 1 << 16);
  archive_write_set_bytes_in_last_block(out.get(), 1);
  check(out.get(), archive_write_open_fd(out.get(), out_fd), "open output");
  check(disk.get(), archive_read_disk_open(disk.get(), root.disk.c_str()), "open source");
  for (;;) {
    if (opts.cancelled && opts.cancelled())
      throw Error(CC_E_CANCELLED, "stream cancelled");
    struct archive_entry* e = archive_entry_new();
    std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)> entry(
        e, archive_entry_free);
    int r = archive_read_next_header2(disk.get(), e);
    if (r == ARCHIVE_EOF)
      break;
    check(disk.get(), r, "walk source");
    std::string name = archive_entry_pathname(e);
    std::string rel = root.prefix + name.substr(root.disk.size());
    if (root.prefix == "." && rel == ".")
      rel = "./";
    archive_entry_copy_pathname(e, rel.c_str());
    archive_read_disk_descend(disk.get());
    check(out.get(), archive_write_header(out.get(), e), "write header");
    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0) {
      const void* buf;
      size_t size;
      la_int64_t offset;
      for (;;) {
        int rr = archive_read_data_block(disk.get(), &buf, &size, &offset);
        if (rr == ARCHIVE_EOF)
          break;
        check(disk.get(), rr, "read file");
        if (archive_write_data(out.get(), buf, size) < 0)
          check(out.get(), ARCHIVE_FATAL, "write");
      }
    }
  }
  check(out.get(), archive_write_close(out.get()), "finish stream");
}

}  // namespace concourse::core::archive
