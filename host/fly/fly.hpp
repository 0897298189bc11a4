// The pieces every fly command shares: where output goes, the global options, and the errors the
// dispatcher turns into exit codes and one `error: ...` line.
#pragma once

#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

namespace concourse::fly {

// Global options plus the streams; commands never touch std::cout directly so tests can capture
// exactly what a user would see.
struct Context {
  Context(std::ostream& o, std::ostream& e) : out(o), err(e) {}

  std::ostream& out;
  std::ostream& err;
  std::string target;
  bool verbose = false;
  bool print_table_headers = false;
  // fly prints table headers and colours only on a terminal; main() sets this from isatty(1).
  bool out_is_tty = false;
  // Where confirmation prompts read their answer; null = std::cin.
  std::istream* in = nullptr;
};

// A failure worth one `error: <message>` line and exit code 1.
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The ATC answered 401: the saved token is missing, expired or revoked.
class Unauthorized : public std::runtime_error {
 public:
  Unauthorized() : std::runtime_error("not authorized") {}
};

// The ATC could not be reached at all (refused, DNS, timeout); carries the URL tried.
class Unreachable : public std::runtime_error {
 public:
  Unreachable(const std::string& url, const std::string& reason)
      : std::runtime_error(reason), url_(url) {}
  const std::string& url() const noexcept { return url_; }

 private:
  std::string url_;
};

// Runs `fly <args...>` and returns the process exit code: 0, 1 for failures, 2 for usage errors.
int run(const std::vector<std::string>& args, Context& ctx);

// One function per verb; `args` are the arguments after the verb. Each throws Failure,
// Unauthorized, Unreachable or core::UsageError, and returns 0 on success.
int login_command(Context& ctx, const std::vector<std::string>& args);
int targets_command(Context& ctx, const std::vector<std::string>& args);
int userinfo_command(Context& ctx, const std::vector<std::string>& args);
int workers_command(Context& ctx, const std::vector<std::string>& args);
int land_worker_command(Context& ctx, const std::vector<std::string>& args);
int prune_worker_command(Context& ctx, const std::vector<std::string>& args);
int containers_command(Context& ctx, const std::vector<std::string>& args);
int volumes_command(Context& ctx, const std::vector<std::string>& args);
int set_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int validate_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int get_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int pipelines_command(Context& ctx, const std::vector<std::string>& args);
int pause_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int unpause_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int expose_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int hide_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int destroy_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int rename_pipeline_command(Context& ctx, const std::vector<std::string>& args);
int jobs_command(Context& ctx, const std::vector<std::string>& args);
int trigger_job_command(Context& ctx, const std::vector<std::string>& args);
int watch_command(Context& ctx, const std::vector<std::string>& args);
int builds_command(Context& ctx, const std::vector<std::string>& args);
int abort_build_command(Context& ctx, const std::vector<std::string>& args);
int resources_command(Context& ctx, const std::vector<std::string>& args);
int resource_versions_command(Context& ctx, const std::vector<std::string>& args);
int check_resource_command(Context& ctx, const std::vector<std::string>& args);
int execute_command(Context& ctx, const std::vector<std::string>& args);
int hijack_command(Context& ctx, const std::vector<std::string>& args);

}  // namespace concourse::fly
