// `concourse`: one binary, one subcommand per role, as Concourse ships it.
#include <cstring>
#include <iostream>
#include <string>

#include "cli/commands.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: concourse <command> [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  quickstart run a web node and a worker in one process (embedded PostgreSQL)\n"
    "  web        run a web node: the ATC API and the TSA\n"
    "  worker     run a worker: the plugin host serving Garden, Baggageclaim and health\n"
    "  plugins    list, inspect or verify the plugins in a directory\n"
    "  generate-key  write an RSA key pair (PEM private key, authorized_keys public key)\n"
    "  migrate    show or change the database schema version\n"
    "\n"
    "Run 'concourse <command> --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "-v" || cmd == "--version") {
    std::cout << CONCOURSE_VERSION << "\n";
    return 0;
  }
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "web")
    return concourse::cli::run_web_command(argc - 1, argv + 1);
  if (cmd == "worker")
    return concourse::cli::run_worker_command(argc - 1, argv + 1);
  if (cmd == "quickstart")
    return concourse::cli::run_quickstart_command(argc - 1, argv + 1);
  if (cmd == "migrate")
    return concourse::cli::run_migrate_command(argc - 1, argv + 1);
  if (cmd == "plugins")
    return concourse::cli::run_plugins_command(argc - 1, argv + 1);
  if (cmd == "generate-key")
    return concourse::cli::run_generate_key_command(argc - 1, argv + 1);
  std::cerr << "error: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
