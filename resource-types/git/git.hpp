// The git resource (concourse/git-resource semantics) implemented over the real git CLI.
#pragma once

#include "process.hpp"
#include "resource.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace concourse::resource::git {

json check(const Request& req);
json in(const Request& req, const std::filesystem::path& dest);
json out(const Request& req, const std::filesystem::path& src);

// --- helpers shared by the three commands -------------------------------------------------

// Runs `git <args>` in `cwd`; child stdout goes to stderr unless captured.
ProcessResult git_run(const std::filesystem::path& cwd, std::vector<std::string> args,
                      bool capture = true, std::optional<std::string> input = std::nullopt);
// As git_run but throws on failure and returns stdout.
std::string git_out(const std::filesystem::path& cwd, std::vector<std::string> args,
                    std::optional<std::string> input = std::nullopt);
// Streams the child's output to the build log; throws on failure.
void git_log(const std::filesystem::path& cwd, std::vector<std::string> args);

std::vector<std::string> split_lines(std::string_view text);

// source.git_config entries ({name, value}) as `git config --global`, as the real resource does.
void configure_git_global(const json& source);
void configure_git_local(const std::filesystem::path& repo, const json& source);

// The metadata list of the HEAD commit of `repo` (commit, author, author_date, committer,
// committer_date, branch, tags, message, url).
json git_metadata(const std::filesystem::path& repo);

}  // namespace concourse::resource::git
