// Parse errors must point at the line, column and field path, like `fly validate-pipeline`.
#include "atc/config/parse.hpp"

#include <gtest/gtest.h>

namespace concourse::atc::config {
namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  try {
    parse_pipeline(yaml);
  } catch (const ParseError& e) {
    std::vector<std::string> out;
    for (const ConfigError& err : e.errors())
      out.push_back(err.to_string());
    return out;
  }
  return {};
}

TEST(ParseErrors, WrongTypeNamesLineColumnAndPath) {
  const char* yaml =
      "jobs:\n"
      "- name: a\n"
      "  plan:\n"
      "  - get: repo\n"
      "  - put: repo\n"
      "  - task: t\n"
      "    privileged: maybe\n";
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{"line 7, column 17: jobs[0].plan[2].privileged: expected a "
                                     "boolean, got a string"});
}

TEST(ParseErrors, UnknownFieldsAtEveryLevel) {
  const char* yaml =
      "resources:\n"
      "- name: r\n"
      "  type: git\n"
      "  sorce: {}\n"
      "jobs:\n"
      "- name: a\n"
      "  plan:\n"
      "  - get: r\n"
      "    trigger: true\n"
      "    tirgger: true\n"
      "  serail: true\n";
  EXPECT_EQ(errors_of(yaml),
            (std::vector<std::string>{"line 4, column 3: resources[0].sorce: unknown field",
                                      "line 10, column 5: jobs[0].plan[0].tirgger: unknown field",
                                      "line 11, column 3: jobs[0].serail: unknown field"}));
}

TEST(ParseErrors, StepWithoutCoreType) {
  EXPECT_EQ(errors_of("jobs:\n- name: a\n  plan:\n  - timeout: 1h\n"),
            std::vector<std::string>{"line 4, column 5: jobs[0].plan[0]: no core step type "
                                     "declared (e.g. get, put, task, etc.)"});
  EXPECT_EQ(errors_of("jobs:\n- name: a\n  plan:\n  - {}\n"),
            std::vector<std::string>{"line 4, column 5: jobs[0].plan[0]: no step configured"});
}

TEST(ParseErrors, TwoCoreStepTypesConflict) {
  EXPECT_EQ(errors_of("jobs:\n- name: a\n  plan:\n  - get: r\n    put: r\n"),
            std::vector<std::string>{"line 4, column 5: jobs[0].plan[0].get: conflicts with "
                                     "'put': a step has exactly one core step type"});
}

TEST(ParseErrors, NestedStepsAndTaskConfig) {
  const char* yaml =
      "jobs:\n"
      "- name: a\n"
      "  plan:\n"
      "  - in_parallel:\n"
      "      steps:\n"
      "      - do:\n"
      "        - task: t\n"
      "          config:\n"
      "            platform: linux\n"
      "            run: {path: x, argz: []}\n";
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{
                                 "line 10, column 28: jobs[0].plan[0].in_parallel.steps[0].do[0]"
                                 ".config.run.argz: unknown field"});
}

TEST(ParseErrors, MissingPlanAndMalformedYaml) {
  EXPECT_EQ(errors_of("jobs:\n- name: a\n"),
            std::vector<std::string>{"line 2, column 3: jobs[0].plan: missing required field"});
  auto errors = errors_of("jobs: [\n  name: a\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("line ", 0), 0u) << errors[0];
}

TEST(ParseErrors, EveryErrorIsReportedNotJustTheFirst) {
  auto errors = errors_of("jobs:\n- name: a\n  serial: 3\n  plan:\n  - get: r\n    trigger: 1\n");
  EXPECT_EQ(errors.size(), 2u);
}

TEST(ParseErrors, TaskFileErrors) {
  try {
    parse_task_config("platform: linux\nrun:\n  path: x\ninputs:\n- name: a\n  optionl: true\n");
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.errors().at(0).to_string(), "line 6, column 3: inputs[0].optionl: unknown field");
  }
}

}  // namespace
}  // namespace concourse::atc::config
