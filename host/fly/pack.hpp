// fly execute's input and output transfer: a directory's contents as a gzipped tar written to a
// stream while it is being made (never whole in memory), and the reverse.
#pragma once

#include <iosfwd>
#include <string>

namespace concourse::fly {

// Writes a .tgz of dir's contents ("./..." entries) to out; throws Failure.
void pack_directory(const std::string& dir, std::ostream& out);
// Extracts a .tgz read from in into dir (created if missing); throws Failure.
void unpack_directory(std::istream& in, const std::string& dir);

}  // namespace concourse::fly
