#include "fly/flyrc.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "fly/fly.hpp"

namespace concourse::fly {
namespace {

class FlyRcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/flyrc-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/.flyrc";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write_file(const std::string& text) { std::ofstream(path_) << text; }

  std::string dir_;
  std::string path_;
};

TEST_F(FlyRcTest, MissingFileIsEmpty) {
  EXPECT_TRUE(Flyrc::load(path_).targets().empty());
}

TEST_F(FlyRcTest, ReadsConcourseFormatAndDefaultsTeam) {
  write_file(
      "targets:\n"
      "  ci:\n"
      "    api: https://ci.example.com\n"
      "    team: platform\n"
      "    insecure: true\n"
      "    token:\n"
      "      type: bearer\n"
      "      value: abc\n"
      "  bare:\n"
      "    api: http://localhost:8080\n");
  auto targets = Flyrc::load(path_).targets();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets["ci"].api, "https://ci.example.com");
  EXPECT_EQ(targets["ci"].team, "platform");
  EXPECT_TRUE(targets["ci"].insecure);
  ASSERT_TRUE(targets["ci"].token.has_value());
  EXPECT_EQ(targets["ci"].token->type, "bearer");
  EXPECT_EQ(targets["ci"].token->value, "abc");
  EXPECT_EQ(targets["bare"].team, "main");
  EXPECT_FALSE(targets["bare"].token.has_value());
}

TEST_F(FlyRcTest, SaveKeepsOtherTargetsAndTheirUnknownKeys) {
  write_file(
      "targets:\n"
      "  other:\n"
      "    api: http://other:8080\n"
      "    team: ops\n"
      "    ca_cert: PEM\n"
      "    future_key: kept\n"
      "    token: {type: bearer, value: other-token}\n");
  Flyrc rc = Flyrc::load(path_);
  TargetProps p;
  p.api = "http://new:8080";
  p.token = TargetToken{"bearer", "new-token"};
  rc.save_target("new", p);
  rc.write(path_);

  auto targets = Flyrc::load(path_).targets();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets["new"].api, "http://new:8080");
  EXPECT_EQ(targets["new"].team, "main");
  EXPECT_EQ(targets["new"].token->value, "new-token");
  EXPECT_EQ(targets["other"].api, "http://other:8080");
  EXPECT_EQ(targets["other"].team, "ops");
  EXPECT_EQ(targets["other"].ca_cert, "PEM");
  EXPECT_EQ(targets["other"].token->value, "other-token");
  YAML::Node raw = YAML::LoadFile(path_);
  EXPECT_EQ(raw["targets"]["other"]["future_key"].as<std::string>(), "kept");
  // omitempty: no insecure: false or empty ca_cert for the new target.
  EXPECT_FALSE(raw["targets"]["new"]["insecure"]);
  EXPECT_FALSE(raw["targets"]["new"]["ca_cert"]);
  EXPECT_EQ(raw["targets"]["new"]["token"]["type"].as<std::string>(), "bearer");
}

TEST_F(FlyRcTest, SaveOverwritesTheSameTarget) {
  Flyrc rc = Flyrc::load(path_);
  TargetProps p;
  p.api = "http://a";
  p.insecure = true;
  p.token = TargetToken{"bearer", "one"};
  rc.save_target("ci", p);
  rc.write(path_);
  rc = Flyrc::load(path_);
  p.api = "http://b";
  p.insecure = false;
  p.token = TargetToken{"bearer", "two"};
  rc.save_target("ci", p);
  rc.write(path_);
  auto t = Flyrc::load(path_).target("ci");
  EXPECT_EQ(t.api, "http://b");
  EXPECT_FALSE(t.insecure);
  EXPECT_EQ(t.token->value, "two");
}

TEST_F(FlyRcTest, WrittenFileIsPrivate) {
  write_file("targets: {}\n");
  ::chmod(path_.c_str(), 0644);
  Flyrc rc = Flyrc::load(path_);
  rc.save_target("ci", TargetProps{});
  rc.write(path_);
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FlyRcTest, UnknownTargetAndMalformedFile) {
  write_file("targets: {}\n");
  try {
    Flyrc::load(path_).target("nope");
    FAIL() << "expected Failure";
  } catch (const Failure& e) {
    EXPECT_STREQ(e.what(), "unknown target: nope");
  }
  write_file("targets: [1, 2\n");
  EXPECT_THROW(Flyrc::load(path_), Failure);
  write_file("targets: just-a-string\n");
  EXPECT_THROW(Flyrc::load(path_), Failure);
}

TEST_F(FlyRcTest, DefaultPathFollowsHome) {
  const char* old = std::getenv("HOME");
  std::string saved = old ? old : "";
  ::setenv("HOME", dir_.c_str(), 1);
  EXPECT_EQ(Flyrc::default_path(), path_);
  ::unsetenv("HOME");
  EXPECT_THROW(Flyrc::default_path(), Failure);
  ::setenv("HOME", saved.c_str(), 1);
}

}  // namespace
}  // namespace concourse::fly
