// Concourse's --postgres-* flags (and CONCOURSE_POSTGRES_* env vars), shared by `concourse web`,
// `quickstart` and `migrate`.
#pragma once

#include <cstdint>

#include "atc/db/database.hpp"
#include "core/flags.hpp"

namespace concourse::atc::db {

// Holds what the flag set writes into until parse() is done; finish() checks and converts.
struct PostgresFlags {
  ConnParams params;
  int64_t port = 5432;

  ConnParams finish() const;  // throws core::UsageError on a bad port or sslmode
  // True when any --postgres-* flag or env var was given (quickstart embeds otherwise).
  bool given(const core::FlagSet& fs) const;
};

// Registers the flags on fs, writing into flags (which must outlive fs.parse()).
void add_postgres_flags(core::FlagSet& fs, PostgresFlags& flags);

}  // namespace concourse::atc::db
