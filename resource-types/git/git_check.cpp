// check: new commits on the branch (or matching tags), oldest first, after filtering by paths,
// commit messages and [ci skip] markers, using a cached bare clone in $TMPDIR.
#include "git.hpp"

#include <algorithm>
#include <functional>
#include <iomanip>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace concourse::resource::git {

namespace {

struct CheckConfig {
  std::string uri, branch, tag_filter, tag_regex, tag_behaviour, ref;
  std::vector<std::string> paths, ignore_paths, include, exclude;
  bool include_all = false, exclude_all = false, skip_ci_disabled = false;
  long long depth = 1;
  bool tags() const { return !tag_filter.empty() || !tag_regex.empty(); }
};

CheckConfig parse_config(const Request& req) {
  const json& s = req.source;
  CheckConfig c;
  c.uri = trim(get_string(s, "uri"));
  c.branch = trim(get_string(s, "branch"));
  c.paths = get_string_list(s, "paths");
  c.ignore_paths = get_string_list(s, "ignore_paths");
  c.tag_filter = trim(get_string(s, "tag_filter"));
  c.tag_regex = trim(get_string(s, "tag_regex"));
  c.tag_behaviour = get_string(s, "tag_behaviour", "match_tagged");
  c.ref = get_string(req.version, "ref");
  c.skip_ci_disabled = get_bool(s, "disable_ci_skip");
  json filter = has(s, "commit_filter") ? s["commit_filter"] : json::object();
  c.include = get_string_list(filter, "include");
  c.exclude = get_string_list(filter, "exclude");
  c.include_all = get_bool(filter, "include_all_match");
  c.exclude_all = get_bool(filter, "exclude_all_match");
  c.depth = get_int(s, "version_depth", 1);
  if (c.uri.empty()) {
    throw Error("source.uri is required and must not be empty");
  }
  if (!c.tag_filter.empty() && !c.tag_regex.empty()) {
    throw Error("Cannot provide both tag_filter and tag_regex");
  }
  if (c.tag_behaviour != "match_tagged" && c.tag_behaviour != "match_tag_ancestors") {
    throw Error("Invalid tag_behaviour. Must be one of 'match_tagged' or 'match_tag_ancestors'.");
  }
  if (c.depth <= 0) {
    throw Error("Invalid version_depth. Must be > 0.");
  }
  return c;
}

// One cache per (uri, branch, tag mode) so differently configured checks sharing a $TMPDIR
// (outside containers) never see each other's refs.
fs::path cache_dir(const CheckConfig& c) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char ch : c.uri + '\n' + c.branch + '\n' + (c.tags() ? "tags" : "")) {
    h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ULL;
  }
  std::ostringstream name;
  name << "git-resource-repo-cache-" << std::hex << std::setw(16) << std::setfill('0') << h;
  return temp_dir() / name.str();
}

bool path_filtered(const CheckConfig& c) {
  return !(c.paths.empty() || (c.paths.size() == 1 && c.paths[0] == ".")) ||
         !c.ignore_paths.empty();
}

fs::path prepare_cache(const CheckConfig& c) {
  fs::path dest = cache_dir(c);
  if (fs::exists(dest / "HEAD")) {
    if (c.tags()) {
      git_log(dest, {"fetch", "origin", "refs/heads/*:refs/heads/*", "--tags", "-f"});
    } else {
      std::vector<std::string> args = {"fetch", "origin", "--no-tags"};
      if (!c.branch.empty()) {
        args.push_back(c.branch);
      }
      args.push_back("-f");
      git_log(dest, args);
      git_log(dest, {"reset", "--soft", "FETCH_HEAD"});
    }
    return dest;
  }
  fs::remove_all(dest);
  std::string filter = path_filtered(c) ? "--filter=blob:none" : "--filter=tree:0";
  std::vector<std::string> args = {"clone", "--bare", filter, "--progress"};
  if (!c.tags()) {
    args.push_back("--single-branch");
  }
  args.push_back(c.uri);
  args.push_back(dest.string());
  if (!c.branch.empty() && !c.tags()) {
    args.insert(args.end(), {"--branch", c.branch});
  }
  args.push_back(c.tags() ? "--tags" : "--no-tags");
  git_log({}, args);
  if (!c.branch.empty()) {
    // Bare clones configure no fetch refspec; later fetches need one for the branch.
    git_log(dest, {"remote", "set-branches", "--add", "origin", c.branch});
  }
  return dest;
}

// Each stage is `git rev-list --stdin ...` fed the previous stage's output, as the real
// resource pipes them; the result is one commit per line.
std::vector<std::string> run_pipeline(const fs::path& repo,
                                      const std::vector<std::vector<std::string>>& stages) {
  std::string data;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    data = git_out(repo, stages[i], i == 0 ? std::nullopt : std::optional<std::string>(data));
  }
  return split_lines(data);
}

std::vector<std::string> grep_stage(const std::vector<std::string>& patterns, bool invert,
                                    bool all_match) {
  std::vector<std::string> s = {"rev-list", "--stdin", "--date-order", "--first-parent",
                                "--no-walk=unsorted"};
  if (invert) {
    s.push_back("--invert-grep");
  }
  for (const auto& p : patterns) {
    s.push_back("--grep=" + p);
  }
  if (all_match) {
    s.push_back("--all-match");
  }
  return s;
}

// The filtered commit stages; `range` empty means "all history".
std::vector<std::vector<std::string>> filter_stages(const CheckConfig& c,
                                                    const std::string& range) {
  std::vector<std::string> first = {"rev-list", "--all", "--first-parent"};
  if (!range.empty()) {
    first.push_back(range);
  }
  if (path_filtered(c)) {
    first.push_back("--");
    for (const auto& p : c.paths.empty() ? std::vector<std::string>{"."} : c.paths) {
      first.push_back(p);
    }
    for (const auto& p : c.ignore_paths) {
      first.push_back(":!" + p);
    }
  }
  std::vector<std::vector<std::string>> stages = {first};
  if (!c.include.empty()) {
    stages.push_back(grep_stage(c.include, false, c.include_all));
  }
  if (!c.exclude.empty()) {
    stages.push_back(grep_stage(c.exclude, true, c.exclude_all));
  }
  if (!c.skip_ci_disabled) {
    auto skip = grep_stage({"\\[ci\\sskip\\]", "\\[skip\\sci\\]"}, true, false);
    stages.push_back(skip);
  }
  return stages;
}

// `ref~1..HEAD` so the given version is included; a parentless ref has no `~1`.
std::string log_range(const fs::path& repo, std::string& ref) {
  if (ref.empty() || !git_run(repo, {"cat-file", "-e", ref}).ok()) {
    ref.clear();
    return {};
  }
  for (const auto& orphan : split_lines(git_out(repo, {"rev-list", "--max-parents=0", "HEAD"}))) {
    if (orphan == ref) {
      return "HEAD";
    }
  }
  return ref + "~1..HEAD";
}

std::vector<std::string> list_tags(const fs::path& repo, const CheckConfig& c,
                                   const std::string& ref) {
  std::vector<std::string> args = {"tag", "--sort=creatordate"};
  if (!ref.empty() && !c.branch.empty()) {
    args.insert(args.end(), {"--contains", ref, "--merged", c.branch});
  } else if (ref.empty() && !c.branch.empty()) {
    args.insert(args.end(), {"--merged", c.branch});
  }
  if (!c.tag_filter.empty()) {
    args.insert(args.end(), {"--list", c.tag_filter});
  }
  std::vector<std::string> tags = split_lines(git_out(repo, args));
  if (!c.tag_regex.empty()) {
    std::regex re(c.tag_regex, std::regex::extended);
    std::erase_if(tags, [&](const std::string& t) { return !std::regex_match(t, re); });
  }
  if (!ref.empty() && c.branch.empty()) {
    // Tags from the current version's tag onwards, in creation order.
    auto it = std::find(tags.begin(), tags.end(), ref);
    tags.erase(tags.begin(), it == tags.end() ? tags.end() : it);
  }
  return tags;
}

json tail(json versions, long long depth) {
  while (static_cast<long long>(versions.size()) > depth) {
    versions.erase(versions.begin());
  }
  return versions;
}

json check_tags(const fs::path& repo, const CheckConfig& c, const std::string& ref,
                const std::string& range) {
  std::vector<std::string> tags = list_tags(repo, c, ref);
  json out = json::array();
  if (tags.empty()) {
    return out;
  }
  auto stages = filter_stages(c, range);
  std::vector<std::string> commits = run_pipeline(repo, stages);
  std::set<std::string> eligible(commits.begin(), commits.end());
  if (c.tag_behaviour == "match_tagged") {
    for (const auto& tag : tags) {
      std::string commit = trim(git_out(repo, {"rev-list", "-n", "1", tag}));
      if (eligible.count(commit) != 0) {
        out.push_back({{"ref", tag}, {"commit", commit}});
      }
    }
    return tail(out, c.depth);
  }
  stages.push_back(
      {"rev-list", "--stdin", "--date-order", "--first-parent", "--no-walk=unsorted", "--reverse"});
  std::set<std::string> tag_set(tags.begin(), tags.end());
  for (const auto& commit : run_pipeline(repo, stages)) {
    for (const auto& t : split_lines(git_out(repo, {"tag", "--contains", commit}))) {
      if (tag_set.count(t) != 0) {
        out.push_back({{"ref", commit}});
        break;
      }
    }
  }
  return tail(out, c.depth);
}

}  // namespace

json check(const Request& req) {
  CheckConfig c = parse_config(req);
  configure_git_global(req.source);
  fs::path repo = prepare_cache(c);
  std::string ref = c.ref;
  std::string range = log_range(repo, ref);
  if (c.tags()) {
    return check_tags(repo, c, ref, range);
  }
  auto stages = filter_stages(c, range);
  if (range.empty()) {
    stages.push_back({"rev-list", "--stdin", "--date-order", "--no-walk=unsorted",
                      "-" + std::to_string(c.depth), "--reverse"});
  } else {
    stages.push_back({"rev-list", "--stdin", "--date-order", "--first-parent", "--no-walk=unsorted",
                      "--reverse"});
  }
  json out = json::array();
  for (const auto& commit : run_pipeline(repo, stages)) {
    out.push_back({{"ref", commit}});
  }
  return out;
}

}  // namespace concourse::resource::git
