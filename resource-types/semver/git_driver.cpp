#include "driver.hpp"

#include "process.hpp"

#include <algorithm>
#include <regex>

namespace fs = std::filesystem;

namespace concourse::resource::semver {

namespace {

// Up to three attempts: a concurrent bump makes the push fail and we re-read and re-apply.
constexpr int kWriteAttempts = 3;

ProcessResult git(const fs::path& cwd, std::vector<std::string> args, bool capture_err = false) {
  args.insert(args.begin(), "git");
  ProcessOptions opts;
  opts.cwd = cwd;
  opts.capture_stdout = true;
  opts.capture_stderr = capture_err;
  return run_process(args, opts);
}

void git_ok(const fs::path& cwd, std::vector<std::string> args) {
  std::string what = args.front();
  ProcessResult r = git(cwd, std::move(args));
  if (!r.ok()) {
    throw Error("git " + what + " failed with exit status " + std::to_string(r.exit_code));
  }
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

GitDriver::GitDriver(const json& source)
    : uri_(get_string(source, "uri")),
      branch_(get_string(source, "branch")),
      file_(get_string(source, "file")),
      git_user_(get_string(source, "git_user")),
      commit_message_(get_string(source, "commit_message")),
      repo_(temp_dir() / "semver-git-repo") {
  std::string initial = get_string(source, "initial_version");
  if (!initial.empty()) {
    try {
      initial_ = parse(initial);
    } catch (const Error& e) {
      throw Error("invalid initial version (" + initial + "): " + e.what());
    }
  }
  if (uri_.empty() || branch_.empty() || file_.empty()) {
    throw Error("git driver requires uri, branch and file");
  }
}

void GitDriver::set_up_repo() {
  if (!fs::exists(repo_)) {
    git_ok({}, {"clone", "--no-checkout", uri_, repo_.string()});
    git_ok(repo_, {"checkout", branch_});
  } else {
    git_ok(repo_, {"fetch", "origin", branch_});
  }
  git_ok(repo_, {"reset", "--hard", "origin/" + branch_});
}

// git_user is an RFC 5322 address: "Name <email>" or a bare "email".
void GitDriver::set_user_info() {
  if (git_user_.empty()) {
    return;
  }
  static const std::regex named(R"re(^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$)re");
  static const std::regex bare(R"re(^\s*<?([^\s<>@]+@[^\s<>]+)>?\s*$)re");
  std::smatch m;
  std::string name, email;
  if (std::regex_match(git_user_, m, named)) {
    name = m[1], email = m[2];
  } else if (std::regex_match(git_user_, m, bare)) {
    email = m[1];
  } else {
    throw Error("mail: invalid address '" + git_user_ + "'");
  }
  if (!name.empty()) {
    git_ok({}, {"config", "--global", "user.name", name});
  }
  git_ok({}, {"config", "--global", "user.email", email});
}

std::optional<Version> GitDriver::read_version() {
  fs::path p = repo_ / file_;
  if (!fs::exists(p)) {
    return std::nullopt;
  }
  std::string content = trim(read_file(p));
  std::string first = content.substr(0, content.find_first_of(" \t\r\n"));
  if (first.empty()) {
    throw Error("reading " + file_ + ": unexpected EOF");
  }
  return parse(first);
}

bool GitDriver::write_version(const Version& v) {
  fs::path dir = fs::path(file_).parent_path();
  if (!dir.empty() && dir != "/" && dir != ".") {
    fs::create_directories(repo_ / dir);
  }
  write_file(repo_ / file_, to_string(v) + "\n");
  git_ok(repo_, {"add", file_});
  std::string msg = "bump to " + to_string(v);
  if (!commit_message_.empty()) {
    msg = commit_message_;
    replace_all(msg, "%version%", to_string(v));
    replace_all(msg, "%file%", file_);
  }
  ProcessResult commit = git(repo_, {"commit", "-m", msg}, true);
  if ((commit.out + commit.err).find("nothing to commit") != std::string::npos) {
    log("Nothing to commit, skipping version push");
    return true;
  }
  if (!commit.ok()) {
    throw Error("git commit failed with exit status " + std::to_string(commit.exit_code));
  }
  ProcessResult push = git(repo_, {"push", "origin", "HEAD:" + branch_}, true);
  if ((push.out + push.err).find("Everything up-to-date") != std::string::npos) {
    return true;
  }
  return push.ok();
}

Version GitDriver::bump(const BumpParams& params) {
  set_user_info();
  for (int i = 0; i < kWriteAttempts; ++i) {
    set_up_repo();
    Version next = apply(params, read_version().value_or(initial_));
    if (write_version(next)) {
      return next;
    }
  }
  throw Error("pushing the bumped version failed " + std::to_string(kWriteAttempts) + " times");
}

void GitDriver::set(const Version& v) {
  set_user_info();
  for (int i = 0; i < kWriteAttempts; ++i) {
    set_up_repo();
    if (write_version(v)) {
      return;
    }
  }
  throw Error("pushing the version failed " + std::to_string(kWriteAttempts) + " times");
}

std::vector<Version> GitDriver::check(const std::optional<Version>& cursor) {
  set_up_repo();
  std::optional<Version> current = read_version();
  if (!current) {
    return {initial_};
  }
  if (cursor) {
    return older_versions(*cursor, *current);
  }
  return {*current};
}

// Walks the file's history back to the cursor so every version since it is reported, oldest
// first.
std::vector<Version> GitDriver::older_versions(const Version& cursor, const Version& current) {
  if (compare(cursor, current) >= 0) {
    return {current};
  }
  std::vector<Version> found = {current};
  for (int skip = 1;; ++skip) {
    ProcessResult r = git(repo_, {"log", "--pretty=format:%H", "-n", "1", "--skip",
                                  std::to_string(skip), "--", file_});
    std::string commit = trim(r.out);
    if (!r.ok() || commit.empty()) {
      break;
    }
    ProcessResult show = git(repo_, {"show", commit + ":" + file_});
    if (!show.ok()) {
      throw Error("git show " + commit + ":" + file_ + " failed");
    }
    Version previous = parse(trim(show.out));
    if (compare(cursor, previous) > 0) {
      break;
    }
    found.push_back(previous);
  }
  std::reverse(found.begin(), found.end());
  return found;
}

}  // namespace concourse::resource::semver
