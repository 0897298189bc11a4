// fly execute's local parts: flag parsing, input defaults, the plan it sends, and packing a
// directory into the .tgz it uploads and back.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "atc/config/parse.hpp"
#include "core/flags.hpp"
#include "fly/execute_plan.hpp"
#include "fly/fly.hpp"
#include "fly/pack.hpp"

namespace fly = concourse::fly;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

concourse::atc::config::TaskConfig task(const std::string& yaml) {
  return concourse::atc::config::parse_task_config(yaml);
}

const char* kTwoInputs =
    "platform: linux\ninputs: [{name: a}, {name: b, optional: true}]\n"
    "outputs: [{name: o}]\nrun: {path: true}\n";

TEST(ExecutePlan, ParsesNamePathPairs) {
  auto p = fly::parse_named_paths({"src=/tmp/x", "o=rel/dir=x"}, "--input");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].name, "src");
  EXPECT_EQ(p[1].path, "rel/dir=x");
  EXPECT_THROW(fly::parse_named_paths({"nopath"}, "--input"), concourse::core::UsageError);
  EXPECT_THROW(fly::parse_named_paths({"=x"}, "--input"), concourse::core::UsageError);
}

TEST(ExecutePlan, OneInputDefaultsToTheCurrentDirectory) {
  auto one = task("platform: linux\ninputs: [{name: src}]\nrun: {path: true}\n");
  auto r = fly::resolve_inputs(one, {}, "/here");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "src");
  EXPECT_EQ(r[0].path, "/here");
}

TEST(ExecutePlan, UnknownAndMissingInputsAreRefused) {
  auto two = task(kTwoInputs);
  EXPECT_THROW(fly::resolve_inputs(two, {{"zzz", "/x"}}, "/"), fly::Failure);
  EXPECT_THROW(fly::resolve_inputs(two, {}, "/"), fly::Failure);       // a is required
  EXPECT_EQ(fly::resolve_inputs(two, {{"a", "/x"}}, "/").size(), 1u);  // b is optional
  EXPECT_THROW(fly::check_outputs(two, {{"nope", "/x"}}), fly::Failure);
  EXPECT_NO_THROW(fly::check_outputs(two, {{"o", "/x"}}));
}

TEST(ExecutePlan, InputsThenTaskWithOutputsInEnsure) {
  fly::ExecutePlanOptions o;
  o.task_config = {{"platform", "linux"}};
  o.inputs = {{"a", 7}};
  o.outputs = {"o"};
  o.tags = {"t1"};
  o.privileged = true;
  json plan = fly::execute_plan(o);
  ASSERT_TRUE(plan.contains("do"));
  const json& ins = plan["do"][0]["in_parallel"]["steps"];
  ASSERT_EQ(ins.size(), 1u);
  EXPECT_EQ(ins[0]["artifact_input"], (json{{"artifact_id", 7}, {"name", "a"}}));
  const json& ensure = plan["do"][1]["ensure"];
  EXPECT_EQ(ensure["step"]["task"]["name"], "one-off");
  EXPECT_EQ(ensure["step"]["task"]["privileged"], true);
  EXPECT_EQ(ensure["step"]["task"]["tags"], json::array({"t1"}));
  EXPECT_EQ(ensure["next"]["in_parallel"]["steps"][0]["artifact_output"]["name"], "o");
  // Every plan node has its own id.
  std::set<std::string> ids;
  std::function<void(const json&)> walk = [&](const json& j) {
    if (j.is_object() && j.contains("id")) {
      EXPECT_TRUE(ids.insert(j["id"].get<std::string>()).second) << j.dump();
    }
    if (j.is_structured()) {
      for (const auto& v : j)
        walk(v);
    }
  };
  walk(plan);
  EXPECT_EQ(ids.size(), 7u);  // input, its group, task, output, its group, ensure, do
}

TEST(ExecutePack, DirectoryRoundTripsThroughGzippedTar) {
  fs::path base = fs::temp_directory_path() / ("fly-pack-" + std::to_string(::getpid()));
  fs::create_directories(base / "in/sub");
  std::ofstream(base / "in/a.txt") << "alpha";
  std::ofstream(base / "in/sub/b.txt") << std::string(200000, 'b');
  std::stringstream tgz;
  fly::pack_directory((base / "in").string(), tgz);
  EXPECT_EQ(tgz.str().substr(0, 2), "\x1f\x8b");  // gzip magic
  EXPECT_LT(tgz.str().size(), 10000u);            // compressed, not a plain tar
  fly::unpack_directory(tgz, (base / "out").string());
  std::ifstream a(base / "out/a.txt"), b(base / "out/sub/b.txt");
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  EXPECT_EQ(sa.str(), "alpha");
  EXPECT_EQ(sb.str().size(), 200000u);
  EXPECT_THROW(fly::pack_directory((base / "missing").string(), tgz), fly::Failure);
  fs::remove_all(base);
}

}  // namespace
