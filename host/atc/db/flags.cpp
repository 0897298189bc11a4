#include "atc/db/flags.hpp"

namespace concourse::atc::db {
namespace {

const char* const kNames[] = {
    "postgres-host",        "postgres-port",       "postgres-socket",         "postgres-user",
    "postgres-password",    "postgres-database",   "postgres-sslmode",        "postgres-ca-cert",
    "postgres-client-cert", "postgres-client-key", "postgres-connect-timeout"};

}  // namespace

void add_postgres_flags(core::FlagSet& fs, PostgresFlags& f) {
  auto& p = f.params;
  fs.add_string("postgres-host", &p.host, "the host to connect to");
  fs.add_int("postgres-port", &f.port, "the port to connect to");
  fs.add_string("postgres-socket", &p.socket, "path to a unix domain socket directory");
  fs.add_string("postgres-user", &p.user, "the user to sign in as");
  fs.add_string("postgres-password", &p.password, "the user's password");
  fs.add_string("postgres-sslmode", &p.sslmode,
                "whether or not to use SSL: disable, require, verify-ca or verify-full");
  fs.add_string("postgres-ca-cert", &p.ca_cert, "CA cert file location, to verify when using SSL");
  fs.add_string("postgres-client-cert", &p.client_cert, "client cert file location");
  fs.add_string("postgres-client-key", &p.client_key, "client key file location");
  fs.add_duration("postgres-connect-timeout", &p.connect_timeout,
                  "how long to keep trying to reach the database");
  fs.add_string("postgres-database", &p.database, "the name of the database to use");
}

ConnParams PostgresFlags::finish() const {
  if (port < 1 || port > 65535)
    throw core::UsageError("invalid port " + std::to_string(port) + " for --postgres-port");
  static const char* const modes[] = {"disable", "allow",     "prefer",
                                      "require", "verify-ca", "verify-full"};
  bool known = false;
  for (const char* m : modes)
    known = known || params.sslmode == m;
  if (!known)
    throw core::UsageError("invalid --postgres-sslmode " + params.sslmode);
  ConnParams out = params;
  out.port = static_cast<uint16_t>(port);
  return out;
}

bool PostgresFlags::given(const core::FlagSet& fs) const {
  for (const char* n : kNames)
    if (fs.was_set(n))
      return true;
  return false;
}

}  // namespace concourse::atc::db
