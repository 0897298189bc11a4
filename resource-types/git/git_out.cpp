// out: push the repository under the put directory to the branch (optionally tagging,
// rebasing or merging onto concurrent pushes first) and report the pushed commit.
#include "git.hpp"

namespace fs = std::filesystem;

namespace concourse::resource::git {

namespace {

struct OutConfig {
  std::string uri, branch, repository, tag_file, tag_prefix, annotate, notes, returning;
  std::string refs_prefix, override_branch, tag_name, rebase_strategy;
  std::vector<std::string> push_options, strategy_options;
  bool rebase = false, merge = false, force = false, only_tag = false;
};

std::vector<std::string> strategy_options(const json& params) {
  if (!has(params, "rebase_strategy_option")) {
    return {};
  }
  const json& v = params["rebase_strategy_option"];
  if (v.is_array()) {
    return get_string_list(params, "rebase_strategy_option");
  }
  std::vector<std::string> out;
  std::string s = get_string(params, "rebase_strategy_option") + " ", cur;
  for (char ch : s) {
    if (ch == ' ') {
      if (!cur.empty()) {
        out.push_back(cur);
      }
      cur.clear();
    } else {
      cur += ch;
    }
  }
  return out;
}

OutConfig parse_config(const Request& req, const fs::path& src) {
  const json& p = req.params;
  OutConfig c;
  c.uri = get_string(req.source, "uri");
  c.branch = get_string(req.source, "branch");
  c.repository = get_string(p, "repository");
  c.tag_file = get_string(p, "tag");
  c.tag_prefix = get_string(p, "tag_prefix");
  c.rebase = get_bool(p, "rebase");
  c.merge = get_bool(p, "merge");
  c.returning = get_string(p, "returning", "merged");
  c.force = get_bool(p, "force");
  c.only_tag = get_bool(p, "only_tag");
  c.annotate = get_string(p, "annotate");
  c.notes = get_string(p, "notes");
  c.override_branch = get_string(p, "branch");
  c.push_options = get_string_list(p, "push_options");
  c.refs_prefix = get_string(p, "refs_prefix", "refs/heads");
  c.rebase_strategy = get_string(p, "rebase_strategy");
  c.strategy_options = strategy_options(p);
  if (c.uri.empty()) {
    throw Error("invalid payload (missing uri)");
  }
  if (c.branch.empty() && !c.only_tag && c.override_branch.empty()) {
    throw Error("invalid payload (missing branch)");
  }
  if (c.repository.empty()) {
    throw Error("invalid payload (missing repository)");
  }
  if (c.merge && c.rebase) {
    throw Error("invalid push strategy (either merge or rebase can be set, but not both)");
  }
  if (!c.tag_file.empty() && !fs::is_regular_file(src / c.tag_file)) {
    throw Error("tag file '" + c.tag_file + "' does not exist");
  }
  if (!c.annotate.empty() && !fs::is_regular_file(src / c.annotate)) {
    throw Error("annotation file '" + c.annotate + "' does not exist");
  }
  if (!c.override_branch.empty()) {
    log("Override " + c.branch + " with " + c.override_branch);
    c.branch = c.override_branch;
  }
  if (!c.tag_file.empty()) {
    c.tag_name = trim_trailing_newlines(read_file(src / c.tag_file));
  }
  return c;
}

class Pusher {
 public:
  Pusher(const OutConfig& c, fs::path src, fs::path repo)
      : c_(c), src_(std::move(src)), repo_(std::move(repo)) {}

  void tag() {
    if (c_.tag_name.empty()) {
      return;
    }
    std::vector<std::string> args = {"tag", "-f", c_.tag_prefix + c_.tag_name};
    if (!c_.annotate.empty()) {
      args.insert(args.end(), {"-a", "-F", (src_ / c_.annotate).string()});
    }
    record(args);
  }

  void push_tags() {
    std::vector<std::string> args = {"push", "--tags", "push-target"};
    add_flags(args);
    record(args);
  }

  void push_src_and_tags() {
    std::vector<std::string> args = {"push", "--tags", "push-target",
                                     "HEAD:" + c_.refs_prefix + "/" + c_.branch};
    add_flags(args);
    record(args);
  }

  void notes() {
    if (c_.notes.empty()) {
      return;
    }
    record({"notes", "add", "-F", (src_ / c_.notes).string()});
    std::vector<std::string> args = {"push", "push-target", "refs/notes/*"};
    for (const auto& o : c_.push_options) {
      args.insert(args.end(), {"--push-option", o});
    }
    record(args);
  }

  // 0 pushed, 1 failed for good, 2 rejected because the remote moved (retry).
  int push_with_result_check() {
    transcript_.clear();
    try {
      tag();
      push_src_and_tags();
      notes();
      log("pushed");
      return 0;
    } catch (const Error&) {
      if (transcript_.find("[rejected]") != std::string::npos ||
          (transcript_.find("[remote rejected]") != std::string::npos &&
           transcript_.find("cannot lock ref") != std::string::npos)) {
        return 2;
      }
      log("failed with non-rebase error");
      return 1;
    }
  }

 private:
  void add_flags(std::vector<std::string>& args) const {
    if (c_.force) {
      args.push_back("--force");
    }
    for (const auto& o : c_.push_options) {
      args.insert(args.end(), {"--push-option", o});
    }
  }

  // Runs git with stderr captured too, because rejection is only visible in git's messages.
  void record(std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    ProcessOptions opts;
    opts.cwd = repo_;
    opts.capture_stdout = false;
    opts.capture_stderr = true;
    ProcessResult r = run_process(args, opts);
    transcript_ += r.err;
    if (!r.ok()) {
      throw Error(args[0] + " " + args[1] + " failed with exit status " +
                  std::to_string(r.exit_code));
    }
  }

  const OutConfig& c_;
  fs::path src_, repo_;
  std::string transcript_;
};

// The real resource retries forever; a bound keeps a broken remote from hanging the build.
constexpr int kMaxAttempts = 50;

void push_retrying(const OutConfig& c, const fs::path& repo, Pusher& pusher,
                   const std::string& commit_to_push) {
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    if (c.merge) {
      log("merging...");
      // --no-rebase: git >= 2.27 refuses a divergent pull unless told how to reconcile.
      git_log(repo, {"reset", "--hard", commit_to_push});
      git_log(repo, {"fetch", "push-target", "refs/notes/*:refs/notes/*"});
      git_log(repo, {"pull", "--no-rebase", "--no-edit", "push-target", c.branch});
    } else {
      std::vector<std::string> pull = {"pull", "--rebase=merges"};
      if (!c.rebase_strategy.empty()) {
        pull.push_back("--strategy=" + c.rebase_strategy);
      }
      for (const auto& o : c.strategy_options) {
        pull.push_back("-X" + o);
      }
      pull.insert(pull.end(), {"push-target", c.branch});
      log("rebasing onto push-target " + c.branch + "...");
      git_log(repo, {"fetch", "push-target", "refs/notes/*:refs/notes/*"});
      git_log(repo, pull);
    }
    int result = pusher.push_with_result_check();
    if (result == 0) {
      return;
    }
    if (result == 1) {
      throw Error("push failed");
    }
    log(c.merge ? "merging and trying again..." : "rebasing and trying again...");
  }
  throw Error("push kept being rejected after " + std::to_string(kMaxAttempts) + " attempts");
}

}  // namespace

json out(const Request& req, const fs::path& src) {
  OutConfig c = parse_config(req, src);
  configure_git_global(req.source);
  fs::path repo = src / c.repository;
  if (!fs::is_directory(repo)) {
    throw Error("repository '" + c.repository + "' does not exist under " + src.string());
  }
  if (git_run(repo, {"remote", "get-url", "push-target"}).ok()) {
    git_log(repo, {"remote", "set-url", "push-target", c.uri});
  } else {
    git_log(repo, {"remote", "add", "push-target", c.uri});
  }
  std::string commit_to_push = trim(git_out(repo, {"rev-parse", "HEAD"}));
  Pusher pusher(c, src, repo);
  if (c.only_tag) {
    pusher.tag();
    pusher.push_tags();
  } else if (c.merge || c.rebase) {
    push_retrying(c, repo, pusher, commit_to_push);
  } else {
    pusher.tag();
    pusher.push_src_and_tags();
    pusher.notes();
  }
  std::string ref = (c.merge && c.returning == "unmerged")
                        ? commit_to_push
                        : trim(git_out(repo, {"rev-parse", "HEAD"}));
  json version = {{"ref", ref}};
  if (!c.override_branch.empty()) {
    version["branch"] = c.override_branch;
  }
  return json{{"version", version}, {"metadata", git_metadata(repo)}};
}

}  // namespace concourse::resource::git
