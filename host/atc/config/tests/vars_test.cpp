#include "atc/config/vars.hpp"
#include "atc/config/parse.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace concourse::atc::config {
namespace {

Json interpolated(const std::string& yaml, const Variables& vars, bool strict = false) {
  return interpolate(load_yaml(yaml), vars, {strict}).to_json();
}

TEST(VarRef, ParsesSourcePathAndFields) {
  auto ref = VarRef::parse("vs:\"var:with.and_colon\".some_key");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->source, "vs");
  EXPECT_EQ(ref->path, "var:with.and_colon");
  EXPECT_EQ(ref->fields, std::vector<std::string>{"some_key"});
  ref = VarRef::parse("ci/slack.webhook.url");
  EXPECT_EQ(ref->source, "");
  EXPECT_EQ(ref->path, "ci/slack");
  EXPECT_EQ(ref->fields, (std::vector<std::string>{"webhook", "url"}));
  EXPECT_TRUE(VarRef::parse(".:branch")->is_local());
}

TEST(Interpolate, WholeValuesKeepTheirTypeEmbeddedOnesBecomeText) {
  StaticVariables vars;
  vars.add_yaml_var("n=3");
  vars.add_yaml_var("m={a: 1, b: [x]}");
  vars.add_var("s=hello");
  Json out = interpolated("a: ((n))\nb: ((m))\nc: x-((n))-((s))\nd: ((m.b))\n", vars);
  EXPECT_EQ(out, Json::parse(R"j({"a":3,"b":{"a":1,"b":["x"]},"c":"x-3-hello","d":["x"]})j"));
}

TEST(Interpolate, FieldsAndSourcesAndKeys) {
  StaticVariables vars;
  vars.add_yaml_var("creds={user: u, pass: {inner: p}}");
  vars.add_var("vs:token=t");
  vars.add_var("key=k");
  Json out = interpolated("a: ((creds.pass.inner))\nb: ((vs:token))\n((key))-x: 1\n", vars);
  EXPECT_EQ(out, Json::parse(R"j({"a":"p","b":"t","k-x":1})j"));
}

TEST(Interpolate, UnresolvedVarsStayUnlessStrict) {
  StaticVariables vars;
  vars.add_var("known=1");
  Json out = interpolated("a: ((missing))\nb: pre-((other.f))\nc: ((.:local))\n", vars);
  EXPECT_EQ(out, Json::parse(R"j({"a":"((missing))","b":"pre-((other.f))","c":"((.:local))"})j"));
  try {
    interpolated("a: ((missing))\nb: pre-((other.f))\nc: ((.:local))\nd: ((missing))\n", vars,
                 true);
    FAIL();
  } catch (const UndefinedVarsError& e) {
    EXPECT_EQ(e.names(), (std::vector<std::string>{"missing", "other.f"}));
    EXPECT_STREQ(e.what(), "undefined vars: ((missing)) ((other.f))");
  }
}

TEST(Interpolate, MapIntoStringIsAnError) {
  StaticVariables vars;
  vars.add_yaml_var("m={a: 1}");
  EXPECT_THROW(interpolated("a: x-((m))\n", vars), ParseError);
}

TEST(Interpolate, PositionsSurviveSoLaterErrorsStillPoint) {
  StaticVariables vars;
  vars.add_var("flag=yes-please");
  ParseOptions options;
  options.vars = &vars;
  try {
    parse_pipeline("jobs:\n- name: a\n  serial: ((flag))\n  plan: []\n", options);
    FAIL();
  } catch (const ParseError& e) {
    EXPECT_EQ(e.errors().at(0).to_string(),
              "line 3, column 11: jobs[0].serial: expected a boolean, got a string");
  }
}

TEST(StaticVariables, LoadVarsFromFileAndDottedNames) {
  std::string path = testing::TempDir() + "vars.yml";
  std::ofstream(path) << "image: {repo: busybox, tag: 1}\nlist: [a, b]\n";
  StaticVariables vars;
  vars.load_file(path);
  vars.add_var("image.tag=latest");
  Json out = interpolated("i: ((image.repo)):((image.tag))\nl: ((list))\n", vars);
  EXPECT_EQ(out, Json::parse(R"j({"i":"busybox:latest","l":["a","b"]})j"));
  std::remove(path.c_str());
  EXPECT_THROW(vars.add_var("novalue"), core::Error);
}

TEST(FindVars, ListsEachReferenceOnce) {
  auto refs = find_vars(load_yaml("a: ((x))\nb: [((y.z)), ((x))]\n"));
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].text, "x");
  EXPECT_EQ(refs[1].text, "y.z");
}

}  // namespace
}  // namespace concourse::atc::config
