// `concourse migrate`: inspect or move the database schema version, as Concourse's migrate
// command does (--current-db-version, --supported-db-version, --migrate-db-to-version).
#include <iostream>

#include "atc/db/database.hpp"
#include "atc/db/flags.hpp"
#include "atc/db/migrations.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/flags.hpp"
#include "core/log.hpp"

namespace concourse::cli {
namespace {

struct MigrateArgs {
  atc::db::PostgresFlags postgres;
  bool current = false;
  bool supported = false;
  int64_t to_version = -1;
  std::string log_level = "info";
  std::string log_format = "text";
};

// Returns false when only --help was asked for.
bool parse_migrate(int argc, char** argv, MigrateArgs& a, bool& to_set) {
  core::FlagSet fs("migrate");
  atc::db::add_postgres_flags(fs, a.postgres);
  fs.add_bool("current-db-version", &a.current, "print the current database version and exit");
  fs.add_bool("supported-db-version", &a.supported,
              "print the newest database version this build supports and exit");
  fs.add_int("migrate-db-to-version", &a.to_version,
             "migrate the database up or down to this version");
  fs.add_string("log-level", &a.log_level, "debug, info, warn, error or fatal");
  fs.add_string("log-format", &a.log_format, "text or json");
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::cout << fs.usage();
    return false;
  }
  auto rest = fs.parse(argc, argv, 1);
  if (!rest.empty())
    throw core::UsageError("unexpected argument '" + rest.front() + "'");
  to_set = fs.was_set("migrate-db-to-version");
  int modes = int(a.current) + int(a.supported) + int(to_set);
  if (modes != 1)
    throw core::UsageError(
        "give exactly one of --current-db-version, --supported-db-version, "
        "--migrate-db-to-version");
  if (to_set && a.to_version < 0)
    throw core::UsageError("--migrate-db-to-version must be >= 0");
  return true;
}

}  // namespace

int run_migrate_command(int argc, char** argv) {
  MigrateArgs a;
  bool to_set = false;
  atc::db::ConnParams params;
  try {
    if (!parse_migrate(argc, argv, a, to_set))
      return 0;
    params = a.postgres.finish();
    concourse::log::configure(concourse::log::parse_level(a.log_level),
                              concourse::log::parse_format(a.log_format));
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  if (a.supported) {
    // A property of this build: no database needed.
    std::cout << atc::db::migrations().back().version << "\n";
    return 0;
  }
  try {
    concourse::log::Logger log("migrate");
    // Never migrate implicitly here: the whole point of the command is to choose the version.
    auto db = atc::db::Database::open(params, log, false);
    if (a.current) {
      std::cout << db->current_version() << "\n";
    } else {
      db->migrate_to(static_cast<int>(a.to_version));
      std::cout << "migrated to version " << db->current_version() << "\n";
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace concourse::cli
