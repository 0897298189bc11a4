#include "core/archive/archive.hpp"

namespace concourse::core::archive {

std::optional<Encoding> parse_encoding(std::string_view name) {
  if (name.empty() || name == "raw" || name == "identity")
    return Encoding::Raw;
  if (name == "gzip")
    return Encoding::Gzip;
  if (name == "zstd")
    return Encoding::Zstd;
  return std::nullopt;
}

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::Raw:
      return "raw";
    case Encoding::Gzip:
      return "gzip";
    case Encoding::Zstd:
      return "zstd";
  }
  return "raw";
}

}  // namespace concourse::core::archive
