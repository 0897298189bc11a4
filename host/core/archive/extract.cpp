// Extraction of untrusted tar streams. Every entry name is normalised and re-rooted under the
// destination by us (never through the process cwd: the worker is multithreaded), ".." is refused
// outright, and libarchive's SECURE_SYMLINKS refuses any write through a symlink on disk.
#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include "core/archive/archive.hpp"
#include "core/error.hpp"

namespace concourse::core::archive {
namespace {

using ReaderPtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;

constexpr size_t kBlock = 1 << 16;

struct Source {
  const ReadFn* read = nullptr;
  std::vector<char> buf = std::vector<char>(kBlock);
  std::exception_ptr failure;
};

la_ssize_t read_cb(struct archive*, void* ctx, const void** out) {
  auto* s = static_cast<Source*>(ctx);
  try {
    size_t n = (*s->read)(s->buf.data(), s->buf.size());
    *out = s->buf.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    // Exceptions must not unwind through libarchive's C frames.
    s->failure = std::current_exception();
    return -1;
  }
}

[[noreturn]] void invalid(const std::string& what) {
  throw Error(CC_E_INVALID, what);
}

// "./a//b/" -> "a/b"; a leading "/" is stripped as tar(1) does; ".." anywhere is refused.
std::string normalise(const char* name) {
  std::string in = name == nullptr ? "" : name;
  std::string out;
  size_t i = 0;
  while (i <= in.size()) {
    size_t j = in.find('/', i);
    if (j == std::string::npos)
      j = in.size();
    std::string comp = in.substr(i, j - i);
    if (comp == "..")
      invalid("tar entry escapes the destination: " + in);
    if (!comp.empty() && comp != ".") {
      if (!out.empty())
        out += '/';
      out += comp;
    }
    i = j + 1;
  }
  return out;
}

std::string real_dir(const std::string& dir) {
  char buf[PATH_MAX];
  if (::realpath(dir.c_str(), buf) == nullptr) {
    throw Error(CC_E_NOT_FOUND, "destination " + dir + " does not exist");
  }
  struct stat st {};
  if (::stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
    throw Error(CC_E_INVALID, "destination " + dir + " is not a directory");
  }
  return buf;
}

void configure_reader(struct archive* a, Encoding enc) {
  archive_read_support_format_tar(a);
  archive_read_support_format_gnutar(a);
  if (enc == Encoding::Gzip)
    archive_read_support_filter_gzip(a);
  if (enc == Encoding::Zstd)
    archive_read_support_filter_zstd(a);
}

// libarchive detects filters by content; the caller's encoding is a promise we hold it to.
void check_encoding(struct archive* a, Encoding enc) {
  int want = enc == Encoding::Gzip   ? ARCHIVE_FILTER_GZIP
             : enc == Encoding::Zstd ? ARCHIVE_FILTER_ZSTD
                                     : ARCHIVE_FILTER_NONE;
  if (archive_filter_code(a, 0) != want) {
    invalid(std::string("stream is not ") + encoding_name(enc) + "-encoded (found " +
            archive_filter_name(a, 0) + ")");
  }
}

int disk_flags(const ExtractOptions& opts) {
  int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
              ARCHIVE_EXTRACT_SECURE_SYMLINKS;  // not UNLINK: it would silently replace a
                                                // symlink in the path instead of refusing
  if (opts.preserve_owner)
    flags |= ARCHIVE_EXTRACT_OWNER;
  return flags;
}

void copy_data(struct archive* in, struct archive* out, const ExtractOptions& opts,
               uint64_t& written) {
  const void* buf;
  size_t size;
  la_int64_t offset;
  for (;;) {
    int r = archive_read_data_block(in, &buf, &size, &offset);
    if (r == ARCHIVE_EOF)
      return;
    if (r < ARCHIVE_WARN)
      invalid(std::string("read tar data: ") + archive_error_string(in));
    written += size;
    if (opts.max_bytes != 0 && written > opts.max_bytes) {
      throw Error(CC_E_LIMIT,
                  "stream exceeds the limit of " + std::to_string(opts.max_bytes) + " bytes");
    }
    if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN) {
      throw Error(CC_E_INTERNAL, std::string("write: ") + archive_error_string(out));
    }
  }
}

}  // namespace

uint64_t extract_stream(const ReadFn& read, const std::string& dest_dir,
                        const ExtractOptions& opts) {
  std::string base = real_dir(dest_dir);
  ReaderPtr in(archive_read_new(), archive_read_free);
  ReaderPtr out(archive_write_disk_new(), archive_write_free);
  configure_reader(in.get(), opts.encoding);
  archive_write_disk_set_options(out.get(), disk_flags(opts));
  Source src;
  src.read = &read;
  if (archive_read_open(in.get(), &src, nullptr, &read_cb, nullptr) != ARCHIVE_OK) {
    if (src.failure)
      std::rethrow_exception(src.failure);
    invalid(std::string("not a tar stream: ") + archive_error_string(in.get()));
  }
  uint64_t entries = 0, written = 0;
  for (;;) {
    if (opts.cancelled && opts.cancelled())
      throw Error(CC_E_CANCELLED, "extraction cancelled");
    struct archive_entry* e;
    int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF)
      break;
    if (src.failure)
      std::rethrow_exception(src.failure);
    if (r < ARCHIVE_WARN)
      invalid(std::string("bad tar stream: ") + archive_error_string(in.get()));
    if (entries == 0)
      check_encoding(in.get(), opts.encoding);
    std::string rel = normalise(archive_entry_pathname(e));
    if (rel.empty())
      continue;  // "./" itself: the destination already exists
    archive_entry_copy_pathname(e, (base + "/" + rel).c_str());
    if (const char* link = archive_entry_hardlink(e)) {
      std::string target = normalise(link);
      if (target.empty())
        invalid(std::string("tar hard link to the destination itself: ") + link);
      archive_entry_copy_hardlink(e, (base + "/" + target).c_str());
    }
    if (opts.preserve_owner) {
      archive_entry_set_uid(e, archive_entry_uid(e) + opts.uid_shift);
      archive_entry_set_gid(e, archive_entry_gid(e) + opts.gid_shift);
    }
    if (archive_write_header(out.get(), e) < ARCHIVE_WARN) {
      invalid("refused tar entry " + rel + ": " + archive_error_string(out.get()));
    }
    if (archive_entry_size(e) > 0)
      copy_data(in.get(), out.get(), opts, written);
    if (archive_write_finish_entry(out.get()) < ARCHIVE_WARN) {
      throw Error(CC_E_INTERNAL, "finish " + rel + ": " + archive_error_string(out.get()));
    }
    ++entries;
  }
  if (src.failure)
    std::rethrow_exception(src.failure);
  return entries;
}

uint64_t extract_fd(int in_fd, const std::string& dest_dir, const ExtractOptions& opts) {
  ReadFn read = [in_fd](char* buf, size_t n) -> size_t {
    for (;;) {
      ssize_t got = ::read(in_fd, buf, n);
      if (got >= 0)
        return static_cast<size_t>(got);
      if (errno != EINTR)
        throw Error(CC_E_UNAVAILABLE, "read tar stream: " + std::string(strerror(errno)));
    }
  };
  return extract_stream(read, dest_dir, opts);
}

}  // namespace concourse::core::archive
