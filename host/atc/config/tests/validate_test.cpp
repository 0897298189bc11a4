#include "atc/config/validate.hpp"
#include "atc/config/parse.hpp"

#include <gtest/gtest.h>

namespace concourse::atc::config {
namespace {

ValidationResult check(const std::string& yaml) {
  return validate(parse_pipeline(yaml));
}

TEST(Validate, DuplicateNamesUnknownResourcesAndJobs) {
  ValidationResult r = check(R"y(
resources:
- {name: repo, type: git}
- {name: repo, type: git}
- {name: other, type: git}
jobs:
- name: a
  plan:
  - get: repo
  - get: missing
  - put: nope
- name: a
  plan:
  - get: repo
    passed: [a, ghost]
  - get: other
    passed: [a]
)y");
  EXPECT_EQ(r.errors, (std::vector<std::string>{
                          "resources[0] and resources[1] have the same name ('repo')",
                          "jobs[0] and jobs[1] have the same name ('a')",
                          "jobs.a.plan.do[1].get(missing): unknown resource 'missing'",
                          "jobs.a.plan.do[2].put(nope): unknown resource 'nope'",
                          "jobs.a.plan.do[0].get(repo).passed: unknown job 'ghost'",
                          "jobs.a.plan.do[1].get(other).passed: job 'a' does not interact with "
                          "resource 'other'"}));
}

TEST(Validate, TaskNeedsFileOrConfigAndConfigMustBeValid) {
  ValidationResult r = check(R"y(
jobs:
- name: a
  plan:
  - task: empty
  - task: both
    file: ci/task.yml
    config: {platform: linux, run: {path: echo}}
  - task: bad
    config:
      inputs: [{name: x}, {name: x}, {path: y}]
)y");
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "jobs.a.plan.do[0].task(empty): must specify either `file:` or `config:`",
                "jobs.a.plan.do[2].task(bad).config: missing 'platform'",
                "jobs.a.plan.do[2].task(bad).config: missing path to executable to run",
                "jobs.a.plan.do[2].task(bad).config: input 'x' is declared more than once",
                "jobs.a.plan.do[2].task(bad).config: input in position 2 is missing a "
                "name"}));
}

TEST(Validate, DurationsAttemptsAndHooks) {
  ValidationResult r = check(R"y(
resources:
- {name: r, type: git, check_every: 10x, check_timeout: ((t))}
- {name: s, type: git, check_every: never}
jobs:
- name: a
  plan:
  - get: r
    timeout: soon
    attempts: 0
  - get: s
  on_failure:
    do:
    - put: ghost
)y");
  EXPECT_EQ(r.errors, (std::vector<std::string>{
                          "resources.r has invalid check_every: '10x'",
                          "jobs.a.plan.do[0].timeout: invalid duration 'soon'",
                          "jobs.a.plan.do[0].attempts: must be greater than 0",
                          "jobs.a.plan.on_failure.do[0].put(ghost): unknown resource 'ghost'"}));
}

TEST(Validate, GroupsUnusedResourcesAndRetention) {
  ValidationResult r = check(R"y(
resources:
- {name: unused, type: git}
groups:
- {name: g, jobs: [build-*, nope]}
- {name: g, jobs: [build-1]}
jobs:
- name: build-1
  build_logs_to_retain: 3
  build_log_retention: {builds: 2, minimum_succeeded_builds: 5}
  plan: []
- name: lonely
  plan: []
)y");
  EXPECT_EQ(r.errors,
            (std::vector<std::string>{
                "group 'g' has unknown job 'nope'",
                "group 'g' appears 2 times. Duplicate names are not allowed.",
                "job 'lonely' belongs to no group", "resource 'unused' is not used",
                "jobs.build-1 can't use both build_log_retention and build_logs_to_retain",
                "jobs.build-1 has build_log_retention.minimum_succeeded_builds: 5 greater "
                "than build_log_retention.builds: 2"}));
}

TEST(Validate, WarningsAreSeparateFromErrors) {
  ValidationResult r = check(R"y(
jobs:
- name: Deploy to staging
  serial: true
  max_in_flight: 3
  plan:
  - task: ok-((name))
    config: {platform: linux, run: {path: x}}
)y");
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].type, "invalid_identifier");
  EXPECT_EQ(r.warnings[0].message,
            "jobs.Deploy to staging: 'Deploy to staging' is not a valid identifier: must start "
            "with a lowercase letter or a number");
  EXPECT_EQ(r.warnings[1].message,
            "jobs.Deploy to staging: max_in_flight is ignored because the job is serial (serial "
            "or serial_groups is set)");
  EXPECT_EQ(parse_pipeline("jobs: [{name: a, serial_groups: [x], plan: []}]")
                .jobs[0]
                .effective_max_in_flight(),
            1);
}

TEST(Validate, IdentifierRules) {
  EXPECT_FALSE(validate_identifier("build-1.x_y", "jobs.x"));
  EXPECT_FALSE(validate_identifier("((env))-deploy", "jobs.x"));
  EXPECT_TRUE(validate_identifier("123", "jobs.x"));
  auto w = validate_identifier("a b", "jobs.a b");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->message, "jobs.a b: 'a b' is not a valid identifier: illegal character ' '");
}

}  // namespace
}  // namespace concourse::atc::config
