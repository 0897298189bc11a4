// Migrations live in this one C++ table rather than in .sql files embedded by a CMake step: the
// SQL is reviewed beside the code that reads it, and the binary cannot drift from its schema.
// Append only: a released version's SQL never changes, a fix is a new version.
#include "atc/db/migrations.hpp"

namespace concourse::atc::db {
namespace {

constexpr std::string_view kInitialUp = R"sql(
CREATE TABLE teams (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  auth jsonb NOT NULL DEFAULT '{"local_users": []}'
);
INSERT INTO teams (name) VALUES ('main');

CREATE TABLE users (
  name text PRIMARY KEY,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tokens (
  hash text PRIMARY KEY,
  subject text NOT NULL,
  system boolean NOT NULL DEFAULT false,
  teams jsonb NOT NULL DEFAULT '[]',
  admin boolean NOT NULL DEFAULT false,
  expires_at bigint NOT NULL
);
CREATE INDEX tokens_expires_at_idx ON tokens (expires_at);

CREATE TABLE workers (
  name text PRIMARY KEY,
  addr text,
  baggageclaim_url text,
  certs_path text,
  http_proxy_url text,
  https_proxy_url text,
  no_proxy text,
  active_containers bigint NOT NULL DEFAULT 0,
  active_volumes bigint NOT NULL DEFAULT 0,
  active_tasks bigint NOT NULL DEFAULT 0,
  resource_types jsonb NOT NULL DEFAULT '[]',
  platform text,
  tags jsonb NOT NULL DEFAULT '[]',
  team_id bigint REFERENCES teams (id) ON DELETE CASCADE,
  version text,
  start_time bigint NOT NULL DEFAULT 0,
  ephemeral boolean NOT NULL DEFAULT false,
  state text NOT NULL
    CHECK (state IN ('running', 'stalled', 'landing', 'landed', 'retiring')),
  expires bigint,
  stalled_since bigint
);

-- Only what the worker collector needs to tell whether a drain must wait; later versions add
-- the plan, the job and the rest.
CREATE TABLE builds (
  id bigserial PRIMARY KEY,
  team_id bigint REFERENCES teams (id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'pending',
  one_off boolean NOT NULL DEFAULT false,
  interruptible boolean NOT NULL DEFAULT false,
  completed boolean NOT NULL DEFAULT false
);

CREATE TABLE containers (
  handle text PRIMARY KEY,
  worker_name text NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  state text NOT NULL CHECK (state IN ('creating', 'created', 'destroying', 'failed')),
  team_id bigint REFERENCES teams (id) ON DELETE SET NULL,
  build_id bigint REFERENCES builds (id) ON DELETE SET NULL,
  type text NOT NULL DEFAULT '',
  missing_since bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX containers_worker_name_idx ON containers (worker_name);
CREATE INDEX containers_build_id_idx ON containers (build_id);

CREATE TABLE volumes (
  handle text PRIMARY KEY,
  worker_name text NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  state text NOT NULL CHECK (state IN ('creating', 'created', 'destroying', 'failed')),
  team_id bigint REFERENCES teams (id) ON DELETE SET NULL,
  build_id bigint REFERENCES builds (id) ON DELETE SET NULL,
  type text NOT NULL DEFAULT '',
  missing_since bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX volumes_worker_name_idx ON volumes (worker_name);
)sql";

constexpr std::string_view kInitialDown = R"sql(
DROP TABLE volumes;
DROP TABLE containers;
DROP TABLE builds;
DROP TABLE workers;
DROP TABLE tokens;
DROP TABLE users;
DROP TABLE teams;
)sql";

// The collectors scan by state every --gc-interval on every web node; keep those scans cheap.
constexpr std::string_view kCollectorIndexesUp = R"sql(
CREATE INDEX workers_state_expires_idx ON workers (state, expires);
CREATE INDEX containers_worker_state_idx ON containers (worker_name, state);
CREATE INDEX volumes_worker_state_idx ON volumes (worker_name, state);
)sql";

constexpr std::string_view kCollectorIndexesDown = R"sql(
DROP INDEX volumes_worker_state_idx;
DROP INDEX containers_worker_state_idx;
DROP INDEX workers_state_expires_idx;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "initial schema: teams, users, tokens, workers, builds, containers, volumes", kInitialUp,
       kInitialDown},
      {2, "collector indexes", kCollectorIndexesUp, kCollectorIndexesDown},
  };
  return all;
}

}  // namespace concourse::atc::db
