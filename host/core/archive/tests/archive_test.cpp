#include "core/archive/archive.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "support/http.hpp"
#include "support/tar_builder.hpp"
#include "support/worker_process.hpp"

namespace archive = concourse::core::archive;
namespace fs = std::filesystem;
using concourse::core::Error;
using concourse::testing::shell;
using concourse::testing::TarBuilder;
using concourse::testing::TempDir;

namespace {

std::string read_file(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Feeds bytes through a ReadFn in small pieces, like a socket would.
archive::ReadFn reader_of(const std::string& data) {
  auto pos = std::make_shared<size_t>(0);
  return [data, pos](char* buf, size_t n) {
    size_t k = std::min({n, data.size() - *pos, size_t{1000}});
    std::memcpy(buf, data.data() + *pos, k);
    *pos += k;
    return k;
  };
}

int32_t code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return CC_OK;
}

// Runs create_fd into a pipe and returns the bytes.
std::string create(const std::string& path, archive::Encoding enc = archive::Encoding::Raw) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  std::string out;
  std::thread reader([&] {
    char buf[65536];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0)
      out.append(buf, static_cast<size_t>(n));
  });
  try {
    archive::create_fd(path, fds[1], {enc, {}});
  } catch (...) {
    ::close(fds[1]);
    reader.join();
    ::close(fds[0]);
    throw;
  }
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  return out;
}

}  // namespace

TEST(Archive, RoundTripsFilesDirsLinksAndModes) {
  TempDir src, dst;
  fs::create_directories(src.path() + "/d/e");
  std::ofstream(src.path() + "/d/e/f.txt") << "deep\n";
  std::ofstream(src.path() + "/x.sh") << "#!/bin/sh\n";
  ::chmod((src.path() + "/x.sh").c_str(), 0751);
  fs::create_symlink("d/e/f.txt", src.path() + "/link");
  for (auto enc : {archive::Encoding::Raw, archive::Encoding::Gzip, archive::Encoding::Zstd}) {
    std::string tar = create(src.path() + "/", enc);
    fs::remove_all(dst.path() + "/out");
    fs::create_directories(dst.path() + "/out");
    archive::ExtractOptions o;
    o.encoding = enc;
    archive::extract_stream(reader_of(tar), dst.path() + "/out", o);
    EXPECT_EQ(read_file(dst.path() + "/out/d/e/f.txt"), "deep\n") << archive::encoding_name(enc);
    EXPECT_EQ(fs::read_symlink(dst.path() + "/out/link"), "d/e/f.txt");
    struct stat st {};
    ::stat((dst.path() + "/out/x.sh").c_str(), &st);
    EXPECT_EQ(st.st_mode & 07777, 0751u);
  }
}

TEST(Archive, NamesEntriesLikeTar) {
  TempDir src;
  fs::create_directories(src.path() + "/dir/sub");
  std::ofstream(src.path() + "/dir/sub/f") << "x";
  std::ofstream(src.path() + "/file") << "y";
  TempDir t;
  auto list = [&](const std::string& tar) {
    std::ofstream(t.path() + "/a.tar", std::ios::binary) << tar;
    return shell("tar -tf " + t.path() + "/a.tar | sort | tr '\\n' ' '");
  };
  EXPECT_EQ(list(create(src.path() + "/dir")), "dir/ dir/sub/ dir/sub/f ");
  EXPECT_EQ(list(create(src.path() + "/dir/")), "./ ./sub/ ./sub/f ");
  EXPECT_EQ(list(create(src.path() + "/dir/.")), "./ ./sub/ ./sub/f ");
  EXPECT_EQ(list(create(src.path() + "/file")), "file ");
  EXPECT_EQ(code_of([&] { create(src.path() + "/missing"); }), CC_E_NOT_FOUND);
}

TEST(Archive, RefusesEntriesThatEscape) {
  TempDir outside, dst;
  std::string victim = outside.path() + "/victim";
  auto extract = [&](const std::string& tar) {
    return code_of([&] { archive::extract_stream(reader_of(tar), dst.path(), {}); });
  };
  EXPECT_EQ(extract(TarBuilder().file("../../../../../../.." + victim, "x").finish()),
            CC_E_INVALID);
  EXPECT_EQ(extract(TarBuilder().file("a/../../escape", "x").finish()), CC_E_INVALID);
  EXPECT_EQ(extract(TarBuilder().symlink("out", outside.path()).file("out/victim", "x").finish()),
            CC_E_INVALID);
  EXPECT_EQ(extract(TarBuilder().hardlink("h", "../../../../../../.." + victim).finish()),
            CC_E_INVALID);
  EXPECT_FALSE(fs::exists(victim));
  // Absolute names are re-rooted inside the destination, as tar(1) does.
  EXPECT_EQ(extract(TarBuilder().file("/etc/passwd-test", "inside").finish()), CC_OK);
  EXPECT_EQ(read_file(dst.path() + "/etc/passwd-test"), "inside");
  // A symlink pointing anywhere is data; it is fine as long as nothing is written through it.
  EXPECT_EQ(extract(TarBuilder().symlink("abs", "/etc").finish()), CC_OK);
}

TEST(Archive, RefusesGarbageTruncationAndOversize) {
  TempDir dst;
  auto extract = [&](const std::string& data, archive::ExtractOptions o = {}) {
    return code_of([&] { archive::extract_stream(reader_of(data), dst.path(), o); });
  };
  EXPECT_EQ(extract(std::string(4096, 'z')), CC_E_INVALID);
  std::string tar = TarBuilder().file("big", std::string(100000, 'a')).finish();
  EXPECT_EQ(extract(tar.substr(0, 20000)), CC_E_INVALID);
  archive::ExtractOptions limited;
  limited.max_bytes = 1000;
  EXPECT_EQ(extract(tar, limited), CC_E_LIMIT);
  archive::ExtractOptions gz;
  gz.encoding = archive::Encoding::Gzip;
  EXPECT_EQ(extract(tar, gz), CC_E_INVALID) << "plain tar claimed to be gzip";
  EXPECT_EQ(code_of([&] { archive::extract_stream(reader_of(tar), dst.path() + "/nope", {}); }),
            CC_E_NOT_FOUND);
}

TEST(Archive, ParsesEncodings) {
  EXPECT_EQ(archive::parse_encoding("gzip"), archive::Encoding::Gzip);
  EXPECT_EQ(archive::parse_encoding("zstd"), archive::Encoding::Zstd);
  EXPECT_EQ(archive::parse_encoding(""), archive::Encoding::Raw);
  EXPECT_FALSE(archive::parse_encoding("s2"));
}
