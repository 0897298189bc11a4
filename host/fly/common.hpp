// Helpers the verb files share: global options on every verb's parser, loading the selected
// target, and fly's JSON printing.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "fly/args.hpp"
#include "fly/client.hpp"
#include "fly/fly.hpp"
#include "fly/flyrc.hpp"

namespace concourse::fly {

// go-flags accepts the parent's options after the verb too (`fly workers -t ci`).
void add_global_options(Args& args, Context& ctx);

struct LoadedTarget {
  std::string name;
  TargetProps props;
};

// The -t target from ~/.flyrc; throws Failure for a missing -t or an unknown name.
LoadedTarget load_target(const Context& ctx);
Client client_for(const Context& ctx, const LoadedTarget& target);

// Verbs that take no positional arguments say so instead of ignoring them.
void expect_no_arguments(const std::vector<std::string>& positional);

// displayhelpers.JsonPrint: two-space indent and a trailing newline.
void print_json(std::ostream& out, const nlohmann::ordered_json& value);

// The array a list endpoint returned; Failure when the ATC answered something else.
// A JSON null (Go's nil slice) counts as empty.
nlohmann::ordered_json expect_array(const nlohmann::ordered_json& value, const std::string& what);

// Percent-encodes one path segment (worker and team names).
std::string path_escape(const std::string& segment);

std::string json_str(const nlohmann::ordered_json& j, const char* key);
int64_t json_int(const nlohmann::ordered_json& j, const char* key);

// "apply configuration? [yN]: " and the like; true only for y/yes. -n skips the question.
bool confirm(Context& ctx, const std::string& question);
// "/api/v1/teams/TEAM/pipelines/NAME" with both segments escaped.
std::string pipeline_path(const std::string& team, const std::string& pipeline);
// Splits "PIPELINE/NAME" (jobs, resources); UsageError naming `flag` otherwise.
std::pair<std::string, std::string> split_flag(const std::string& value, const std::string& flag);

}  // namespace concourse::fly
