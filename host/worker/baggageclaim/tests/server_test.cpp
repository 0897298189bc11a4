// The Baggageclaim HTTP API over loopback: routes, codes, streaming, hostile input.
#include "worker/baggageclaim/server.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include <Poco/URI.h>

#include "support/http.hpp"
#include "support/tar_builder.hpp"
#include "support/worker_process.hpp"

namespace bc = concourse::worker::baggageclaim;
namespace fs = std::filesystem;
using concourse::testing::http;
using concourse::testing::shell;
using concourse::testing::TarBuilder;
using concourse::testing::TempDir;
using nlohmann::json;

namespace {

class BaggageclaimServer : public ::testing::Test {
 protected:
  void SetUp() override {
    bc::Options o;
    o.bind_port = 0;
    o.volumes_dir = dir_.path() + "/volumes";
    o.overlays_dir = dir_.path() + "/overlays";
    o.driver = "naive";
    o.p2p_interface_name_pattern = "lo";
    server_ = std::make_unique<bc::Server>(o, concourse::log::Logger("test"));
    server_->start();
  }
  uint16_t port() const { return server_->port(); }
  TempDir dir_;
  std::unique_ptr<bc::Server> server_;
};

}  // namespace

TEST_F(BaggageclaimServer, CreatesListsAndDestroysVolumes) {
  auto r = http("POST", port(), "/volumes",
                R"({"handle":"v1","strategy":{"type":"empty"},"properties":{"a":"b"},"ttl":0})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto v = json::parse(r.body);
  EXPECT_EQ(v["handle"], "v1");
  EXPECT_EQ(v["privileged"], false);
  EXPECT_TRUE(fs::is_directory(v["path"].get<std::string>()));
  auto generated =
      json::parse(http("POST", port(), "/volumes", R"({"strategy":{"type":"empty"}})").body);
  EXPECT_EQ(generated["handle"].get<std::string>().size(), 36u);

  EXPECT_EQ(json::parse(http("GET", port(), "/volumes?a=b").body).size(), 1u);
  EXPECT_EQ(http("GET", port(), "/volumes?a=b&a=c").status, 422);
  EXPECT_EQ(http("PUT", port(), "/volumes/v1/properties/color", R"({"value":"red"})").status, 204);
  EXPECT_EQ(json::parse(http("GET", port(), "/volumes/v1").body)["properties"]["color"], "red");
  EXPECT_EQ(http("PUT", port(), "/volumes/v1/privileged", R"({"value":true})").status, 204);
  EXPECT_EQ(http("GET", port(), "/volumes/v1/privileged").body, "true");
  EXPECT_EQ(
      http("POST", port(), "/volumes", R"({"handle":"v1","strategy":{"type":"empty"}})").status,
      409);
  EXPECT_EQ(http("DELETE", port(), "/volumes/v1").status, 204);
  EXPECT_EQ(http("DELETE", port(), "/volumes/v1").status, 404);
  EXPECT_EQ(http("DELETE", port(), "/volumes/destroy",
                 "[\"" + generated["handle"].get<std::string>() + "\",\"gone\"]")
                .status,
            204);
  EXPECT_EQ(json::parse(http("GET", port(), "/volumes").body).size(), 0u);
}

TEST_F(BaggageclaimServer, AsyncCreationFlow) {
  auto r = http("POST", port(), "/volumes-async", R"({"handle":"av","strategy":{"type":"empty"}})");
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(json::parse(r.body)["handle"], "av");
  int status = 204;
  for (int i = 0; i < 200 && status == 204; ++i) {
    status = http("GET", port(), "/volumes-async/av").status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(http("DELETE", port(), "/volumes-async/av").status, 204);
  EXPECT_EQ(http("GET", port(), "/volumes-async/av").status, 404);
  EXPECT_EQ(http("GET", port(), "/volumes/av").status, 200);

  http("POST", port(), "/volumes-async",
       R"({"handle":"orphan","strategy":{"type":"cow","volume":"nope"}})");
  int code = 204;
  for (int i = 0; i < 200 && code == 204; ++i)
    code = http("GET", port(), "/volumes-async/orphan").status;
  EXPECT_EQ(code, 422);
}

TEST_F(BaggageclaimServer, StreamsInAndOutInEveryEncoding) {
  ASSERT_EQ(
      http("POST", port(), "/volumes", R"({"handle":"s","strategy":{"type":"empty"}})").status,
      201);
  TempDir src;
  fs::create_directories(src.path() + "/d");
  std::ofstream(src.path() + "/d/f") << "content";
  for (auto [enc, flag] : {std::pair{"gzip", "z"}, {"zstd", "-zstd"}, {"raw", ""}}) {
    std::string tar = std::string(flag) == "-zstd"
                          ? shell("tar -C " + src.path() + " --zstd -cf - .")
                          : shell("tar -C " + src.path() + " -c" + flag + "f - .");
    auto in = http("PUT", port(), std::string("/volumes/s/stream-in?path=") + enc, tar,
                   {{"Content-Encoding", enc}});
    ASSERT_EQ(in.status, 204) << enc << ": " << in.body;
    auto out = http("PUT", port(), std::string("/volumes/s/stream-out?path=") + enc + "/d", "",
                    {{"Accept-Encoding", enc}});
    ASSERT_EQ(out.status, 200) << enc;
    TempDir dst;
    std::ofstream(dst.path() + "/t", std::ios::binary) << out.body;
    std::string decode = std::string(enc) == "gzip"   ? "gzip -dc"
                         : std::string(enc) == "zstd" ? "zstd -dc"
                                                      : "cat";
    EXPECT_EQ(shell(decode + " " + dst.path() + "/t | tar -xOf - ./f"), "content") << enc;
  }
  EXPECT_EQ(http("PUT", port(), "/volumes/s/stream-in?path=x", "junk", {{"Content-Encoding", "s2"}})
                .status,
            400);
  EXPECT_EQ(http("PUT", port(), "/volumes/s/stream-out?path=nope").status, 404);
  EXPECT_EQ(http("PUT", port(), "/volumes/s/stream-out?path=../../..").status, 400);
  EXPECT_EQ(http("PUT", port(), "/volumes/missing/stream-out?path=.").status, 404);
}

TEST_F(BaggageclaimServer, RefusesHostileInput) {
  ASSERT_EQ(
      http("POST", port(), "/volumes", R"({"handle":"h","strategy":{"type":"empty"}})").status,
      201);
  TempDir outside;
  std::string evil =
      TarBuilder().file("../../../../../../../.." + outside.path() + "/pwned", "x").finish();
  EXPECT_EQ(http("PUT", port(), "/volumes/h/stream-in?path=.", evil).status, 400);
  EXPECT_FALSE(fs::exists(outside.path() + "/pwned"));
  std::string big = TarBuilder().file("big", std::string(3 << 20, 'a')).finish();
  EXPECT_EQ(http("PUT", port(), "/volumes/h/stream-in?path=.&limit=1", big).status, 403);
  EXPECT_EQ(http("POST", port(), "/volumes", "{broken").status, 400);
  EXPECT_EQ(
      http("POST", port(), "/volumes", R"({"handle":"../x","strategy":{"type":"empty"}})").status,
      400);
  EXPECT_EQ(http("POST", port(), "/volumes", R"({"strategy":{"type":"warp"}})").status, 422);
  EXPECT_EQ(http("POST", port(), "/volumes",
                 R"({"handle":"c","strategy":{"type":"cow","volume":"none"}})")
                .status,
            422);
  EXPECT_EQ(http("GET", port(), "/nope").status, 404);
  EXPECT_EQ(http("PUT", port(), "/volumes/h/privileged", R"({"value":"yes"})").status, 400);
}

TEST_F(BaggageclaimServer, StreamsPeerToPeer) {
  ASSERT_EQ(
      http("POST", port(), "/volumes", R"({"handle":"src","strategy":{"type":"empty"}})").status,
      201);
  ASSERT_EQ(
      http("POST", port(), "/volumes", R"({"handle":"dst","strategy":{"type":"empty"}})").status,
      201);
  std::ofstream(dir_.path() + "/volumes/live/src/volume/file") << "p2p";
  auto url = http("GET", port(), "/p2p-url");
  ASSERT_EQ(url.status, 200) << url.body;
  EXPECT_EQ(url.body, "http://127.0.0.1:" + std::to_string(port()));
  std::string in_url = url.body + "/volumes/dst/stream-in?path=copied";
  std::string escaped;
  Poco::URI::encode(in_url, "&=?/:", escaped);
  auto r = http("PUT", port(),
                "/volumes/src/stream-p2p-out?path=.&encoding=gzip&streamInURL=" + escaped);
  ASSERT_EQ(r.status, 200) << r.body;
  std::ifstream f(dir_.path() + "/volumes/live/dst/volume/copied/file");
  std::string got((std::istreambuf_iterator<char>(f)), {});
  EXPECT_EQ(got, "p2p");
}
