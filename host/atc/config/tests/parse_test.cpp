#include "atc/config/parse.hpp"

#include <gtest/gtest.h>

namespace concourse::atc::config {
namespace {

TEST(Parse, StepTreeWithModifiers) {
  Pipeline p = parse_pipeline(R"y(
resources:
- name: repo
  type: git
  source: {uri: "https://example.com/r.git"}
  check_every: never
jobs:
- name: build
  serial_groups: [deploy]
  build_log_retention: {builds: 10}
  plan:
  - in_parallel:
      limit: 2
      fail_fast: true
      steps:
      - get: repo
        trigger: true
        version: every
        passed: [test]
  - task: unit
    attempts: 3
    timeout: 1h
    tags: [linux]
    file: repo/ci/unit.yml
    input_mapping: {source: repo}
    ensure:
      try:
        put: repo
        inputs: detect
        no_get: true
  on_failure:
    load_var: v
    file: repo/v
)y");
  ASSERT_EQ(p.jobs.size(), 1u);
  const Job& j = p.jobs[0];
  EXPECT_EQ(j.build_log_retention->builds, 10);
  EXPECT_EQ(j.effective_max_in_flight(), 1);
  ASSERT_EQ(j.plan.size(), 2u);
  const auto* par = j.plan[0].as<InParallelStep>();
  ASSERT_NE(par, nullptr);
  EXPECT_EQ(par->limit, 2);
  EXPECT_TRUE(par->fail_fast);
  const auto* get = par->steps.at(0).as<GetStep>();
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->version->mode, VersionConfig::Mode::kEvery);
  EXPECT_EQ(get->passed, std::vector<std::string>{"test"});
  const Step& task = j.plan[1];
  EXPECT_STREQ(task.type(), "task");
  EXPECT_EQ(task.attempts, 3);
  EXPECT_EQ(task.timeout, "1h");
  EXPECT_EQ(task.tags, std::vector<std::string>{"linux"});
  EXPECT_EQ(task.as<TaskStep>()->input_mapping.at("source"), "repo");
  ASSERT_TRUE(task.ensure);
  const auto* put = task.ensure->as<TryStep>()->step->as<PutStep>();
  EXPECT_EQ(put->inputs->mode, PutInputs::Mode::kDetect);
  EXPECT_TRUE(put->no_get);
  EXPECT_STREQ(j.on_failure->type(), "load_var");
  EXPECT_EQ(p.resources[0].check_every, "never");
}

TEST(Parse, TaskConfigCoercesParamsAndReadsLimits) {
  TaskConfig c = parse_task_config(R"y(
platform: linux
image_resource: {type: registry-image, source: {repository: busybox}, version: {digest: sha}}
inputs: [{name: src, path: go/src, optional: true}]
outputs: [{name: out}]
caches: [{path: .cache}]
params: {A: 1, B: true, C: ~, D: 1.5, E: {x: 1}, F: "s", G: yes}
run: {path: sh, args: [-c, "echo hi"], dir: src, user: root}
container_limits: {cpu: 512, memory: 100mb}
)y");
  EXPECT_EQ(c.params, (StringMap{{"A", "1"},
                                 {"B", "true"},
                                 {"C", ""},
                                 {"D", "1.5"},
                                 {"E", R"({"x":1})"},
                                 {"F", "s"},
                                 {"G", "true"}}));
  EXPECT_EQ(c.container_limits->cpu, 512u);
  EXPECT_EQ(c.container_limits->memory, 100u * 1024 * 1024);
  EXPECT_TRUE(c.inputs[0].optional);
  EXPECT_EQ(c.image_resource->version->at("digest"), "sha");
  EXPECT_EQ(c.run.args, (std::vector<std::string>{"-c", "echo hi"}));
  EXPECT_TRUE(c.validate().empty());
  EXPECT_EQ(parse_task_config("run: {path: x}").validate(),
            std::vector<std::string>{"missing 'platform'"});
}

TEST(Parse, MergeKeysAnchorsAndTopLevelAnchorHolders) {
  Pipeline p = parse_pipeline(R"y(
meta:
  base: &base {type: git, source: {uri: a}}
  extra: &extra {icon: github, type: ignored}
resources:
- <<: *base
  <<: *extra
  name: r
jobs:
- {name: j, plan: [{get: r}]}
)y");
  EXPECT_EQ(p.resources[0].type, "git");
  EXPECT_EQ(p.resources[0].icon, "github");
  EXPECT_EQ(p.resources[0].source, Json::parse(R"j({"uri":"a"})j"));
}

TEST(Parse, JsonInputAndRoundTrip) {
  const char* json = R"j({"resources":[{"name":"r","type":"git","source":{}}],
    "jobs":[{"name":"j","plan":[{"get":"r","version":{"ref":"abc"}},
      {"put":"r","inputs":["a","b"],"params":{"x":1}},
      {"across":[{"var":"v","values":[1,2],"max_in_flight":"all"}],"fail_fast":true,
       "set_pipeline":"p","file":"r/p.yml","instance_vars":{"b":"((.:v))"}}]}],
    "display":{"background_image":"https://x/y.png"}})j";
  Pipeline p = parse_pipeline(json);
  Json out = to_json(p);
  EXPECT_EQ(to_json(pipeline_from_json(out)), out);
  EXPECT_EQ(out["jobs"][0]["plan"][0]["version"], Json::parse(R"j({"ref":"abc"})j"));
  EXPECT_EQ(out["jobs"][0]["plan"][1]["inputs"], Json::parse(R"j(["a","b"])j"));
  EXPECT_EQ(out["jobs"][0]["plan"][2]["across"][0]["max_in_flight"], "all");
  EXPECT_TRUE(p.jobs[0].plan[2].across->fail_fast);
  EXPECT_EQ(out["display"]["background_image"], "https://x/y.png");
}

TEST(Parse, VarsInsideFreeFormFieldsSurviveParsing) {
  Pipeline p = parse_pipeline(
      "resources: [{name: r, type: git, source: {key: ((vault:key.private))}}]\n"
      "jobs: [{name: ((env))-job, plan: [{get: r, timeout: ((t))}]}]\n");
  EXPECT_EQ(p.resources[0].source["key"], "((vault:key.private))");
  EXPECT_EQ(p.jobs[0].name, "((env))-job");
  EXPECT_EQ(p.jobs[0].plan[0].timeout, "((t))");
}

TEST(Parse, Yaml11ScalarsAsGoYamlV2ReadsThem) {
  Node n = load_yaml("a: yes\nb: 0x10\nc: 010\nd: '1'\ne: ~\nf: 1_000\ng: .inf\n");
  EXPECT_EQ(n.to_json(),
            Json::parse(R"j({"a":true,"b":16,"c":8,"d":"1","e":null,"f":1000,"g":".inf"})j"));
}

}  // namespace
}  // namespace concourse::atc::config
