#include "git.hpp"

#include <regex>

namespace concourse::resource::git {

ProcessResult git_run(const std::filesystem::path& cwd, std::vector<std::string> args, bool capture,
                      std::optional<std::string> input) {
  args.insert(args.begin(), "git");
  ProcessOptions opts;
  opts.cwd = cwd;
  opts.capture_stdout = capture;
  opts.stdin_data = std::move(input);
  return run_process(args, opts);
}

std::string git_out(const std::filesystem::path& cwd, std::vector<std::string> args,
                    std::optional<std::string> input) {
  std::string what = args.empty() ? "" : args.front();
  ProcessResult r = git_run(cwd, std::move(args), true, std::move(input));
  if (!r.ok()) {
    throw Error("git " + what + " failed with exit status " + std::to_string(r.exit_code));
  }
  return r.out;
}

void git_log(const std::filesystem::path& cwd, std::vector<std::string> args) {
  std::string what = args.empty() ? "" : args.front();
  ProcessResult r = git_run(cwd, std::move(args), false);
  if (!r.ok()) {
    throw Error("git " + what + " failed with exit status " + std::to_string(r.exit_code));
  }
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string line(text.substr(0, nl));
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (!line.empty()) {
      out.push_back(line);
    }
    if (nl == std::string_view::npos) {
      break;
    }
    text.remove_prefix(nl + 1);
  }
  return out;
}

namespace {

std::vector<std::pair<std::string, std::string>> config_entries(const json& source) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!has(source, "git_config")) {
    return out;
  }
  if (!source["git_config"].is_array()) {
    throw Error("invalid field 'git_config': expected a list of name/value pairs");
  }
  for (const auto& e : source["git_config"]) {
    out.emplace_back(get_string(e, "name"), get_string(e, "value"));
  }
  return out;
}

std::string first_line_of(const std::filesystem::path& repo, const std::string& format) {
  return trim_trailing_newlines(git_out(repo, {"log", "-1", "--format=format:" + format}));
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : ",") + i;
  }
  return out;
}

std::string head_branches(const std::filesystem::path& repo, const std::string& head) {
  ProcessResult r = git_run(repo, {"show-ref", "--heads"});
  std::vector<std::string> names;
  const std::string prefix = head + " refs/heads/";
  for (const auto& line : split_lines(r.out)) {
    if (line.rfind(prefix, 0) == 0) {
      names.push_back(line.substr(prefix.size()));
    }
  }
  return joined(names);
}

// Commit links for the common hosts, from the origin URL (https, ssh:// or scp-style).
std::string commit_url(const std::filesystem::path& repo, const std::string& commit) {
  ProcessResult r = git_run(repo, {"remote", "get-url", "--all", "origin"});
  std::string origin = trim(r.out);
  static const std::regex re(R"(^(https?://|ssh://git@|git@)([^/]+)/(.*)$)");
  std::smatch m;
  if (!r.ok() || !std::regex_match(origin, m, re)) {
    return {};
  }
  std::string host = m[2], path = m[3];
  if (path.size() > 4 && path.substr(path.size() - 4) == ".git") {
    path.resize(path.size() - 4);
  }
  if (m[1] == "git@" && host.find(':') != std::string::npos) {
    path = host.substr(host.find(':') + 1) + "/" + path;
    host = host.substr(0, host.find(':'));
  }
  if (host.find("github") != std::string::npos || host.find("gogs") != std::string::npos) {
    return "https://" + host + "/" + path + "/commit/" + commit;
  }
  if (host.find("gitlab") != std::string::npos) {
    return "https://" + host + "/" + path + "/-/commit/" + commit;
  }
  if (host.find("bitbucket") != std::string::npos) {
    return "https://" + host + "/" + path + "/commits/" + commit;
  }
  return {};
}

}  // namespace

void configure_git_global(const json& source) {
  for (const auto& [name, value] : config_entries(source)) {
    git_log({}, {"config", "--global", name, value});
  }
}

void configure_git_local(const std::filesystem::path& repo, const json& source) {
  for (const auto& [name, value] : config_entries(source)) {
    git_log(repo, {"config", name, value});
  }
}

json git_metadata(const std::filesystem::path& repo) {
  std::string commit = trim(git_out(repo, {"rev-parse", "HEAD"}));
  std::string author = first_line_of(repo, "%an"), author_date = first_line_of(repo, "%ai");
  std::string committer = first_line_of(repo, "%cn"), committer_date = first_line_of(repo, "%ci");
  json md = json::array();
  md.push_back(metadata_field("commit", commit));
  md.push_back(metadata_field("author", author));
  md.push_back({{"name", "author_date"}, {"value", author_date}, {"type", "time"}});
  // The real resource lists the committer only when it matches the author and author date;
  // kept as is so both produce the same metadata.
  if (author == committer && author_date == committer_date) {
    md.push_back(metadata_field("committer", committer));
    md.push_back({{"name", "committer_date"}, {"value", committer_date}, {"type", "time"}});
  }
  std::string branches = head_branches(repo, commit);
  if (!branches.empty()) {
    md.push_back(metadata_field("branch", branches));
  }
  std::string tags = joined(split_lines(git_out(repo, {"tag", "--points-at", "HEAD"})));
  if (!tags.empty()) {
    md.push_back(metadata_field("tags", tags));
  }
  std::string message = git_out(repo, {"log", "-1", "--format=format:%B"});
  if (message.size() > 10240) {
    message.resize(10240);
  }
  md.push_back({{"name", "message"}, {"value", message}, {"type", "message"}});
  std::string url = commit_url(repo, commit);
  if (!url.empty()) {
    md.push_back(metadata_field("url", url));
  }
  return md;
}

}  // namespace concourse::resource::git
