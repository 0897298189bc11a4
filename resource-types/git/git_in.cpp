// in: clone the repository at the requested ref into the destination and describe it in
// .git/* files and metadata, as the real resource does for tasks that read them.
#include "git.hpp"

namespace fs = std::filesystem;

namespace concourse::resource::git {

namespace {

struct InConfig {
  std::string uri, branch, ref, tag_flag;
  long long depth = 0;
  std::vector<std::string> fetch;
  std::string short_ref_format, timestamp_format, describe_options;
  bool clean_tags = false, all_branches = false;
};

std::string tag_flag(const Request& req) {
  const json* fetch_tags = nullptr;
  if (has(req.params, "fetch_tags")) {
    fetch_tags = &req.params["fetch_tags"];
  } else if (has(req.source, "fetch_tags")) {
    fetch_tags = &req.source["fetch_tags"];
  }
  bool explicit_false =
      fetch_tags != nullptr && fetch_tags->is_boolean() && !fetch_tags->get<bool>();
  bool explicit_true = fetch_tags != nullptr && fetch_tags->is_boolean() && fetch_tags->get<bool>();
  if (explicit_false) {
    return "--no-tags";
  }
  if (!get_string(req.source, "tag_filter").empty() ||
      !get_string(req.source, "tag_regex").empty() || explicit_true) {
    return "--tags";
  }
  return {};
}

InConfig parse_config(const Request& req) {
  InConfig c;
  c.uri = trim(get_string(req.source, "uri"));
  c.branch = trim(get_string(req.source, "branch"));
  std::string override_branch = get_string(req.version, "branch");
  if (!override_branch.empty()) {
    log("Override " + c.branch + " with " + override_branch);
    c.branch = override_branch;
  }
  c.ref = get_string(req.version, "ref", "HEAD");
  c.depth = get_int(req.params, "depth", 0);
  c.fetch = get_string_list(req.params, "fetch");
  c.tag_flag = tag_flag(req);
  c.short_ref_format = get_string(req.params, "short_ref_format", "%s");
  c.timestamp_format = get_string(req.params, "timestamp_format", "iso8601");
  c.describe_options = get_string(req.params, "describe_ref_options", "--always --dirty --broken");
  c.clean_tags = get_bool(req.params, "clean_tags");
  c.all_branches = get_bool(req.params, "all_branches");
  if (c.uri.empty()) {
    throw Error("invalid payload (missing uri)");
  }
  return c;
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text + ' ') {
    if (ch == ' ' || ch == '\t') {
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

// A shallow clone may not reach the ref yet: deepen (doubling) until `ref~(depth-1)` exists,
// then fall back to a full fetch, like the real resource's deepen helper.
void checkout_shallow(const fs::path& repo, const InConfig& c) {
  long long depth = c.depth, total = c.depth;
  std::string probe = c.ref + "~" + std::to_string(c.depth - 1);
  while (!git_run(repo, {"checkout", "-f", "-q", probe}).ok()) {
    if (!fs::exists(repo / ".git" / "shallow")) {
      break;
    }
    depth *= 2;
    std::vector<std::string> args;
    if (total >= 127) {
      args = {"fetch", "--unshallow", "origin"};
    } else {
      args = {"fetch", "--deepen", std::to_string(depth), "origin"};
      total += depth;
    }
    if (!c.tag_flag.empty()) {
      args.push_back(c.tag_flag);
    }
    git_log(repo, args);
    if (args[1] == "--unshallow") {
      break;
    }
  }
  git_log(repo, {"checkout", "-f", "-q", c.ref});
}

void clone(const fs::path& dest, const InConfig& c) {
  std::vector<std::string> args = {"clone", "--progress"};
  if (!c.all_branches) {
    args.push_back("--single-branch");
  }
  if (c.depth > 0) {
    args.insert(args.end(), {"--depth", std::to_string(c.depth)});
  }
  args.push_back(c.uri);
  if (!c.branch.empty()) {
    args.insert(args.end(), {"--branch", c.branch});
  }
  args.push_back(dest.string());
  if (!c.tag_flag.empty()) {
    args.push_back(c.tag_flag);
  }
  git_log({}, args);
}

std::string value_of(const json& md, const std::string& name) {
  for (const auto& f : md) {
    if (f["name"] == name) {
      return f["value"].get<std::string>();
    }
  }
  return {};
}

void write_info_files(const fs::path& dest, const InConfig& c, const std::string& ref,
                      const json& md) {
  fs::path g = dest / ".git";
  write_file(g / "committer", git_out(dest, {"--no-pager", "log", "-1", "--pretty=format:%ae"}));
  write_file(g / "committer_name",
             git_out(dest, {"--no-pager", "log", "-1", "--pretty=format:%an"}));
  write_file(g / "ref", ref + "\n");
  write_file(g / "metadata.json", md.dump(2) + "\n");
  std::string short_ref = ref.substr(0, 7);
  std::string formatted = c.short_ref_format;
  auto pos = formatted.find("%s");
  if (pos != std::string::npos) {
    formatted.replace(pos, 2, short_ref);
  }
  write_file(g / "short_ref", formatted);
  for (const char* name :
       {"commit", "author", "author_date", "branch", "tags", "url", "committer_date"}) {
    write_file(g / name, value_of(md, name) + "\n");
  }
  write_file(g / "commit_message", git_out(dest, {"log", "-1", "--format=format:%B"}));
  write_file(g / "commit_timestamp",
             git_out(dest, {"log", "-1", "--format=%cd", "--date=" + c.timestamp_format}));
  std::vector<std::string> describe = {"describe"};
  for (const auto& w : words(c.describe_options)) {
    describe.push_back(w);
  }
  ProcessResult d = git_run(dest, describe);
  write_file(g / "describe_ref", trim_trailing_newlines(d.out) + "\n");
}

}  // namespace

json in(const Request& req, const fs::path& dest) {
  InConfig c = parse_config(req);
  configure_git_global(req.source);
  clone(dest, c);
  configure_git_local(dest, req.source);
  std::vector<std::string> notes = {"fetch", "origin", "refs/notes/*:refs/notes/*"};
  if (!c.tag_flag.empty()) {
    notes.push_back(c.tag_flag);
  }
  git_log(dest, notes);
  if (c.depth > 0) {
    checkout_shallow(dest, c);
  } else {
    git_log(dest, {"checkout", "-f", "-q", c.ref});
  }
  git_log(dest, {"log", "-1", "--oneline"});
  git_log(dest, {"clean", "--force", "--force", "-d"});
  for (const auto& b : c.fetch) {
    git_log(dest, {"fetch", "origin", b});
    if (!git_run(dest, {"show-ref", "--verify", "--quiet", "refs/heads/" + b}).ok()) {
      git_log(dest, {"branch", b, "FETCH_HEAD"});
    }
  }
  std::string ref = c.ref == "HEAD" ? trim(git_out(dest, {"rev-parse", "HEAD"})) : c.ref;
  json md = git_metadata(dest);
  write_info_files(dest, c, ref, md);
  if (c.clean_tags) {
    for (const auto& t : split_lines(git_out(dest, {"tag"}))) {
      git_log(dest, {"tag", "-d", t});
    }
  }
  return json{{"version", {{"ref", ref}}}, {"metadata", md}};
}

}  // namespace concourse::resource::git
