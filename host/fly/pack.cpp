#include "fly/pack.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <istream>
#include <ostream>
#include <thread>

#include "core/archive/archive.hpp"
#include "fly/fly.hpp"

namespace concourse::fly {

namespace archive = concourse::core::archive;

void pack_directory(const std::string& dir, std::ostream& out) {
  if (!std::filesystem::is_directory(dir))
    throw Failure("input directory " + dir + " does not exist");
  int fds[2];
  if (::pipe(fds) != 0)
    throw Failure("pipe: " + std::string(std::strerror(errno)));
  // libarchive writes to a descriptor; a thread feeds it through a pipe so the tarball is
  // streamed out as it is made.
  std::string error;
  std::thread writer([&] {
    try {
      archive::CreateOptions o;
      o.encoding = archive::Encoding::Gzip;
      archive::create_fd(dir + "/.", fds[1], o);
    } catch (const std::exception& e) {
      error = e.what();
    }
    ::close(fds[1]);
  });
  char buf[65536];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0 && out)
    out.write(buf, n);
  // Drain whatever is left so the writer never blocks on a full pipe after a write error.
  while (n > 0)
    n = ::read(fds[0], buf, sizeof buf);
  ::close(fds[0]);
  writer.join();
  if (!error.empty())
    throw Failure("packing " + dir + ": " + error);
  if (!out)
    throw Failure("uploading " + dir + ": the connection failed");
}

void unpack_directory(std::istream& in, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw Failure("creating " + dir + ": " + ec.message());
  archive::ExtractOptions o;
  o.encoding = archive::Encoding::Gzip;
  try {
    archive::extract_stream(
        [&](char* buf, size_t n) {
          in.read(buf, static_cast<std::streamsize>(n));
          if (in.bad())
            throw Failure("download interrupted");
          return static_cast<size_t>(in.gcount());
        },
        dir, o);
  } catch (const Failure&) {
    throw;
  } catch (const std::exception& e) {
    throw Failure("extracting into " + dir + ": " + e.what());
  }
}

}  // namespace concourse::fly
