// Every real pipeline and task file in tests/fixtures/corpus must parse with its vars left in
// place, except the few that Concourse itself would reject; those must fail with a pointed
// message. The copies keep CI independent of the shared corpus checkout.
#include "atc/config/parse.hpp"
#include "atc/config/validate.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace concourse::atc::config {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> files(const char* sub) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(CONCOURSE_CORPUS_DIR) / sub))
    out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// Files Concourse 7 rejects as written, and the message we must give for each.
const std::map<std::string, std::string>& expected_failures() {
  static const std::map<std::string, std::string> k = {
      // The `aggregate` step was removed in Concourse 7.
      {"EngineerBetter__concourse-up__ci_pipeline.yml",
       "'aggregate' was removed in Concourse 7, use 'in_parallel'"},
      // `trigger: ((auto_deploy))`: a boolean field cannot hold a var until fly fills it in.
      {"alphagov__paas-cf__concourse_pipelines_create-cloudfoundry.yml",
       "trigger: expected a boolean, got unresolved var ((auto_deploy))"},
      // `version: ((pinned_resource_version))` on a resource must be a map.
      {"concourse__concourse__testflight_fixtures_pinned-resource-simple-trigger.yml",
       "resources[0].version: expected a map, got unresolved var ((pinned_resource_version))"},
  };
  return k;
}

TEST(Corpus, EveryPipelineParsesOrFailsAsExpected) {
  auto paths = files("pipelines");
  ASSERT_GE(paths.size(), 30u);
  for (const fs::path& p : paths) {
    SCOPED_TRACE(p.filename().string());
    auto expected = expected_failures().find(p.filename().string());
    try {
      Pipeline pipeline = parse_pipeline(read(p));
      EXPECT_EQ(expected, expected_failures().end()) << "parsed but should have failed";
      EXPECT_FALSE(pipeline.jobs.empty());
      Json json = to_json(pipeline);
      EXPECT_EQ(to_json(pipeline_from_json(json)), json);
    } catch (const ParseError& e) {
      if (expected == expected_failures().end()) {
        ADD_FAILURE() << e.what();
        continue;
      }
      EXPECT_NE(std::string(e.what()).find(expected->second), std::string::npos) << e.what();
    }
  }
}

TEST(Corpus, RejectedPipelinesParseOnceTheirTypedVarsAreGiven) {
  StaticVariables vars;
  vars.add_yaml_var("auto_deploy=true");
  vars.add_yaml_var("enable_az_healthcheck=false");
  vars.add_yaml_var("enable_paas_admin_continuous_deploy=true");
  vars.add_yaml_var("pinned_resource_version={hash: abc}");
  vars.add_var("version_config=every");
  for (const char* name : {"alphagov__paas-cf__concourse_pipelines_create-cloudfoundry.yml",
                           "concourse__concourse__testflight_fixtures_pinned-resource-simple-"
                           "trigger.yml"}) {
    SCOPED_TRACE(name);
    std::string text = read(fs::path(CONCOURSE_CORPUS_DIR) / "pipelines" / name);
    ParseOptions options;
    options.vars = &vars;
    EXPECT_NO_THROW(parse_pipeline(text, options));
  }
}

TEST(Corpus, EveryTaskFileParsesAndValidates) {
  auto paths = files("tasks");
  ASSERT_GE(paths.size(), 10u);
  for (const fs::path& p : paths) {
    SCOPED_TRACE(p.filename().string());
    try {
      TaskConfig config = parse_task_config(read(p));
      EXPECT_EQ(config.validate(), std::vector<std::string>{});
      EXPECT_EQ(to_json(task_config_from_json(to_json(config))), to_json(config));
    } catch (const ParseError& e) {
      ADD_FAILURE() << e.what();
    }
  }
}

TEST(Corpus, ValidationOfParsedPipelines) {
  for (const fs::path& p : files("pipelines")) {
    if (expected_failures().count(p.filename().string()) != 0)
      continue;
    SCOPED_TRACE(p.filename().string());
    ValidationResult result;
    try {
      result = validate(parse_pipeline(read(p)));
    } catch (const ParseError& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    std::string all;
    for (const std::string& e : result.errors)
      all += e + "\n";
    EXPECT_TRUE(result.ok()) << all;
  }
}

}  // namespace
}  // namespace concourse::atc::config
