// Tar streams in and out of directories, with libarchive: the one place where hostile archives
// are handled (the Garden and Baggageclaim servers and the plugins' host->tar_* services all come
// here). Failures throw concourse::core::Error with a CC_E_* code:
//   CC_E_INVALID   hostile or malformed input (.., escaping symlinks, bad headers, bad encoding)
//   CC_E_NOT_FOUND the source path of create() does not exist
//   CC_E_LIMIT     extract() went over max_bytes
//   CC_E_CANCELLED the cancel callback said stop
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace concourse::core::archive {

enum class Encoding { Raw, Gzip, Zstd };

// "gzip" | "zstd" | "raw" | "" (raw) -> Encoding; nullopt for anything else ("s2", "br", ...).
std::optional<Encoding> parse_encoding(std::string_view name);
const char* encoding_name(Encoding e);

// Reads up to n bytes into buf; returns bytes read, 0 at end of stream; throws on error.
using ReadFn = std::function<size_t(char* buf, size_t n)>;
using CancelFn = std::function<bool()>;

struct ExtractOptions {
  Encoding encoding = Encoding::Raw;
  bool preserve_owner = false;  // apply archived uid/gid (+ shifts); needs root
  int64_t uid_shift = 0;
  int64_t gid_shift = 0;
  uint64_t max_bytes = 0;  // 0 = unlimited; counts decoded file data
  CancelFn cancelled;      // may be empty
};

// Extracts into dest_dir (must exist; it is resolved with realpath first). Entry names are taken
// relative to dest_dir after stripping leading "/" and "./"; ".." components, hard links whose
// target escapes, and writes through symlinks are refused before anything is written for that
// entry. Returns the number of entries extracted.
uint64_t extract_fd(int in_fd, const std::string& dest_dir, const ExtractOptions& opts);
uint64_t extract_stream(const ReadFn& read, const std::string& dest_dir,
                        const ExtractOptions& opts);

struct CreateOptions {
  Encoding encoding = Encoding::Raw;
  CancelFn cancelled;
};

// Writes a tar of `path` to out_fd. A path ending in "/" or "/." archives the directory's
// contents as "./..."; otherwise one top entry named after the last path component (a file or a
// directory with its contents). Symlinks are archived as links, never followed.
void create_fd(const std::string& path, int out_fd, const CreateOptions& opts);

}  // namespace concourse::core::archive
