// Top-level dispatch: global options, the verb table, help, and the one place where errors turn
// into exit codes.
#include <cctype>
#include <iostream>
#include <ostream>

#include "core/flags.hpp"
#include "fly/common.hpp"

namespace concourse::fly {
namespace {

using Handler = int (*)(Context&, const std::vector<std::string>&);

struct Verb {
  const char* name;
  const char* alias;
  const char* help;
  Handler run;
};

constexpr Verb kVerbs[] = {
    {"abort-build", "ab", "Abort a build", abort_build_command},
    {"builds", "bs", "List builds data", builds_command},
    {"check-resource", "cr", "Check a resource", check_resource_command},
    {"containers", "cs", "Print the active containers", containers_command},
    {"destroy-pipeline", "dp", "Destroy a pipeline", destroy_pipeline_command},
    {"execute", "e", "Execute a one-off build using local bits", execute_command},
    {"expose-pipeline", "ep", "Make a pipeline publicly viewable", expose_pipeline_command},
    {"get-pipeline", "gp", "Get a pipeline's current configuration", get_pipeline_command},
    {"hide-pipeline", "hp", "Hide a pipeline from the public", hide_pipeline_command},
    {"hijack", "intercept", "Execute a command in a container", hijack_command},
    {"jobs", "js", "List the jobs in the pipelines", jobs_command},
    {"land-worker", "lw", "Land a worker", land_worker_command},
    {"login", "l", "Authenticate with the target", login_command},
    {"pause-pipeline", "pp", "Pause a pipeline", pause_pipeline_command},
    {"pipelines", "ps", "List the configured pipelines", pipelines_command},
    {"prune-worker", "pw", "Prune a stalled, landing, landed, or retiring worker",
     prune_worker_command},
    {"rename-pipeline", "rp", "Rename a pipeline", rename_pipeline_command},
    {"resource-versions", "rvs", "List the versions of a resource", resource_versions_command},
    {"resources", "rs", "List the resources in the pipeline", resources_command},
    {"set-pipeline", "sp", "Create or update a pipeline's configuration", set_pipeline_command},
    {"targets", "ts", "List saved targets", targets_command},
    {"trigger-job", "tj", "Start a job in a pipeline", trigger_job_command},
    {"unpause-pipeline", "up", "Un-pause a pipeline", unpause_pipeline_command},
    {"userinfo", "", "User information", userinfo_command},
    {"validate-pipeline", "vp", "Validate a pipeline config", validate_pipeline_command},
    {"volumes", "vs", "List the active volumes", volumes_command},
    {"watch", "w", "Stream a build's output", watch_command},
    {"workers", "ws", "List the registered workers", workers_command},
};

const Verb* find_verb(const std::string& name) {
  for (const auto& v : kVerbs) {
    if (name == v.name || (v.alias[0] != '\0' && name == v.alias))
      return &v;
  }
  return nullptr;
}

void print_help(std::ostream& out) {
  out << "Usage:\n  fly [OPTIONS] <command>\n\n"
      << "Application Options:\n"
      << "  -t, --target=              Concourse target name\n"
      << "  -v, --version              Print the version of Fly and exit\n"
      << "      --verbose              Print API requests and responses\n"
      << "      --print-table-headers  Print table headers even for redirected output\n\n"
      << "Help Options:\n"
      << "  -h, --help                 Show this help message\n\n"
      << "Available commands:\n";
  for (const auto& v : kVerbs) {
    std::string left = v.name;
    if (v.alias[0] != '\0')
      left += std::string(" (") + v.alias + ")";
    out << "  " << left << std::string(left.size() < 24 ? 24 - left.size() : 1, ' ') << v.help
        << "\n";
  }
}

int dispatch(const std::vector<std::string>& args, Context& ctx) {
  Args top("");
  bool version = false;
  top.add_string('t', "target", &ctx.target, "Concourse target name");
  top.add_bool('v', "version", &version, "Print the version of Fly and exit");
  top.add_bool(0, "verbose", &ctx.verbose, "Print API requests and responses");
  top.add_bool(0, "print-table-headers", &ctx.print_table_headers,
               "Print table headers even for redirected output");
  std::vector<std::string> rest;
  try {
    rest = top.parse(args, true);
  } catch (const HelpRequested&) {
    print_help(ctx.out);
    return 0;
  }
  if (version) {
    ctx.out << CONCOURSE_VERSION << "\n";
    return 0;
  }
  if (rest.empty() || rest[0] == "help") {
    print_help(rest.empty() ? ctx.err : ctx.out);
    return rest.empty() ? 2 : 0;
  }
  const Verb* verb = find_verb(rest[0]);
  if (verb == nullptr)
    throw core::UsageError("Unknown command `" + rest[0] + "', see 'fly help'");
  return verb->run(ctx, std::vector<std::string>(rest.begin() + 1, rest.end()));
}

}  // namespace

int run(const std::vector<std::string>& args, Context& ctx) {
  try {
    return dispatch(args, ctx);
  } catch (const HelpRequested& h) {
    ctx.out << h.what();
    return 0;
  } catch (const core::UsageError& e) {
    ctx.err << "error: " << e.what() << "\n";
    return 2;
  } catch (const Unauthorized&) {
    ctx.err << "error: not authorized. run the following to log in again: fly -t " << ctx.target
            << " login\n";
  } catch (const Unreachable& e) {
    ctx.err << "error: could not reach the Concourse server called " << ctx.target << " at "
            << e.url() << ": " << e.what() << "\n";
  } catch (const std::exception& e) {
    ctx.err << "error: " << e.what() << "\n";
  }
  return 1;
}

void add_global_options(Args& args, Context& ctx) {
  args.add_string('t', "target", &ctx.target, "Concourse target name");
  args.add_bool(0, "verbose", &ctx.verbose, "Print API requests and responses");
  args.add_bool(0, "print-table-headers", &ctx.print_table_headers,
                "Print table headers even for redirected output");
}

LoadedTarget load_target(const Context& ctx) {
  if (ctx.target.empty()) {
    throw Failure(
        "no target specified. specify the target with -t or log in like so: "
        "fly -t (alias) login -c (concourse url)");
  }
  return LoadedTarget{ctx.target, Flyrc::load(Flyrc::default_path()).target(ctx.target)};
}

Client client_for(const Context& ctx, const LoadedTarget& target) {
  return Client(target.props.api, target.props.token, target.props.insecure,
                ctx.verbose ? &ctx.err : nullptr);
}

void expect_no_arguments(const std::vector<std::string>& positional) {
  if (positional.empty())
    return;
  std::string joined;
  for (const auto& p : positional)
    joined += (joined.empty() ? "" : ", ") + p;
  throw core::UsageError("unexpected argument [" + joined + "]");
}

void print_json(std::ostream& out, const nlohmann::ordered_json& value) {
  out << value.dump(2) << "\n";
}

nlohmann::ordered_json expect_array(const nlohmann::ordered_json& value, const std::string& what) {
  if (value.is_null())
    return nlohmann::ordered_json::array();
  if (!value.is_array())
    throw Failure("malformed " + what + " from the ATC: expected a JSON array");
  return value;
}

std::string path_escape(const std::string& segment) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string json_str(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool confirm(Context& ctx, const std::string& question) {
  ctx.out << question << " [yN]: " << std::flush;
  std::string answer;
  std::getline(ctx.in != nullptr ? *ctx.in : std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

std::string pipeline_path(const std::string& team, const std::string& pipeline) {
  return "/api/v1/teams/" + path_escape(team) + "/pipelines/" + path_escape(pipeline);
}

std::pair<std::string, std::string> split_flag(const std::string& value, const std::string& flag) {
  auto slash = value.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == value.size())
    throw core::UsageError("invalid argument for flag `" + flag +
                           "': expected PIPELINE/NAME, got '" + value + "'");
  return {value.substr(0, slash), value.substr(slash + 1)};
}

int64_t json_int(const nlohmann::ordered_json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

}  // namespace concourse::fly
