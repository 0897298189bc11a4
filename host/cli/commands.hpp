// One function per `concourse` subcommand; each returns the process exit code and turns every
// error into one line on stderr.
#pragma once

namespace concourse::cli {

int run_worker_command(int argc, char** argv);   // concourse worker ...
int run_plugins_command(int argc, char** argv);  // concourse plugins list|inspect|verify ...

}  // namespace concourse::cli
