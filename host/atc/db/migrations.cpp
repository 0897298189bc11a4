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

// The CI data model: pipelines with their jobs and resources synced from the saved config,
// resource versions and pins, builds with their plan, events, inputs and outputs. Builds of a
// destroyed pipeline go with it, as in Concourse; one-off builds have neither job nor pipeline.
constexpr std::string_view kPipelinesUp = R"sql(
CREATE TABLE pipelines (
  id bigserial PRIMARY KEY,
  team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  name text NOT NULL,
  instance_vars jsonb,
  config jsonb NOT NULL,
  config_version bigint NOT NULL DEFAULT 1,
  paused boolean NOT NULL DEFAULT true,
  public boolean NOT NULL DEFAULT false,
  ordering bigint NOT NULL DEFAULT 0,
  last_updated bigint NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX pipelines_team_name_uniq
  ON pipelines (team_id, name, (COALESCE(instance_vars, 'null'::jsonb)));

CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  pipeline_id bigint NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  name text NOT NULL,
  config jsonb NOT NULL,
  active boolean NOT NULL DEFAULT true,
  paused boolean NOT NULL DEFAULT false,
  next_build_number bigint NOT NULL DEFAULT 1,
  UNIQUE (pipeline_id, name)
);

CREATE TABLE resources (
  id bigserial PRIMARY KEY,
  pipeline_id bigint NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
  name text NOT NULL,
  type text NOT NULL,
  config jsonb NOT NULL,
  active boolean NOT NULL DEFAULT true,
  check_error text,
  last_check bigint NOT NULL DEFAULT 0,
  UNIQUE (pipeline_id, name)
);

CREATE TABLE resource_versions (
  id bigserial PRIMARY KEY,
  resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  version jsonb NOT NULL,
  metadata jsonb NOT NULL DEFAULT '[]',
  check_order bigint NOT NULL DEFAULT 0,
  enabled boolean NOT NULL DEFAULT true,
  UNIQUE (resource_id, version)
);
CREATE INDEX resource_versions_order_idx ON resource_versions (resource_id, check_order DESC);

CREATE TABLE resource_pins (
  resource_id bigint PRIMARY KEY REFERENCES resources (id) ON DELETE CASCADE,
  version jsonb NOT NULL,
  comment_text text NOT NULL DEFAULT '',
  config boolean NOT NULL DEFAULT false
);

-- Checks asked for through the API; the checker consumes them.
CREATE TABLE resource_check_requests (
  id bigserial PRIMARY KEY,
  resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  from_version jsonb,
  create_time bigint NOT NULL
);

ALTER TABLE builds
  ADD COLUMN name text NOT NULL DEFAULT '',
  ADD COLUMN job_id bigint REFERENCES jobs (id) ON DELETE CASCADE,
  ADD COLUMN pipeline_id bigint REFERENCES pipelines (id) ON DELETE CASCADE,
  ADD COLUMN plan jsonb,
  ADD COLUMN create_time bigint NOT NULL DEFAULT 0,
  ADD COLUMN start_time bigint NOT NULL DEFAULT 0,
  ADD COLUMN end_time bigint NOT NULL DEFAULT 0,
  ADD COLUMN aborted boolean NOT NULL DEFAULT false,
  ADD COLUMN web_node text NOT NULL DEFAULT '',
  ADD CONSTRAINT builds_status_check
    CHECK (status IN ('pending', 'started', 'succeeded', 'failed', 'errored', 'aborted'));
CREATE INDEX builds_job_id_idx ON builds (job_id, id DESC);
CREATE INDEX builds_unfinished_idx ON builds (web_node) WHERE NOT completed;

CREATE TABLE build_events (
  build_id bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  event_id bigint NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  PRIMARY KEY (build_id, event_id)
);

CREATE TABLE build_inputs (
  build_id bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  name text NOT NULL,
  version jsonb NOT NULL
);
CREATE INDEX build_inputs_build_idx ON build_inputs (build_id);

CREATE TABLE build_outputs (
  build_id bigint NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
  resource_id bigint NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  version jsonb NOT NULL
);
CREATE INDEX build_outputs_build_idx ON build_outputs (build_id);
)sql";

constexpr std::string_view kPipelinesDown = R"sql(
DROP TABLE build_outputs;
DROP TABLE build_inputs;
DROP TABLE build_events;
DROP INDEX builds_unfinished_idx;
DROP INDEX builds_job_id_idx;
ALTER TABLE builds
  DROP CONSTRAINT builds_status_check,
  DROP COLUMN web_node,
  DROP COLUMN aborted,
  DROP COLUMN end_time,
  DROP COLUMN start_time,
  DROP COLUMN create_time,
  DROP COLUMN plan,
  DROP COLUMN pipeline_id,
  DROP COLUMN job_id,
  DROP COLUMN name;
DROP TABLE resource_check_requests;
DROP TABLE resource_pins;
DROP TABLE resource_versions;
DROP TABLE resources;
DROP TABLE jobs;
DROP TABLE pipelines;
)sql";

// The checker and scheduler: when each resource is next due for a check (claimed with SKIP
// LOCKED so two web nodes never check one resource at once), which web node claimed a pending
// build to start it, and why a pending build still waits (shown to users instead of failing).
constexpr std::string_view kSchedulingUp = R"sql(
ALTER TABLE resources
  ADD COLUMN next_check bigint NOT NULL DEFAULT 0,
  ADD COLUMN check_status text NOT NULL DEFAULT '';
ALTER TABLE builds
  ADD COLUMN claimed_by text NOT NULL DEFAULT '',
  ADD COLUMN inputs_determined boolean NOT NULL DEFAULT true,
  ADD COLUMN pending_reason text NOT NULL DEFAULT '',
  ADD COLUMN outputs_recorded boolean NOT NULL DEFAULT false;
CREATE INDEX builds_pending_idx ON builds (job_id, id) WHERE status = 'pending';
CREATE INDEX build_inputs_resource_idx ON build_inputs (resource_id, version);
CREATE INDEX build_outputs_resource_idx ON build_outputs (resource_id, version);
)sql";

constexpr std::string_view kSchedulingDown = R"sql(
DROP INDEX build_outputs_resource_idx;
DROP INDEX build_inputs_resource_idx;
DROP INDEX builds_pending_idx;
ALTER TABLE builds
  DROP COLUMN outputs_recorded,
  DROP COLUMN pending_reason,
  DROP COLUMN inputs_determined,
  DROP COLUMN claimed_by;
ALTER TABLE resources
  DROP COLUMN check_status,
  DROP COLUMN next_check;
)sql";

// Check intervals below a second (and a 1 s interval that really is 1 s) need next_check in
// milliseconds; `never` (1 << 62) stays as it is.
constexpr std::string_view kCheckMillisUp = R"sql(
UPDATE resources SET next_check = next_check * 1000 WHERE next_check < (1::bigint << 52);
)sql";

constexpr std::string_view kCheckMillisDown = R"sql(
UPDATE resources SET next_check = next_check / 1000 WHERE next_check < (1::bigint << 62);
)sql";

// Web nodes renew a lease here; the builds of a node whose lease ran out are errored (started)
// or handed back to the scheduler (claimed, not started) by whichever node notices first.
constexpr std::string_view kWebNodesUp = R"sql(
CREATE TABLE web_nodes (
  name text PRIMARY KEY,
  last_seen bigint NOT NULL
);
)sql";

constexpr std::string_view kWebNodesDown = R"sql(
DROP TABLE web_nodes;
)sql";

// fly execute's artifacts (uploads and one-off outputs): in the database, so any web node can
// serve the download of an upload another one took.
constexpr std::string_view kWorkerArtifactsUp = R"sql(
CREATE TABLE worker_artifacts (
  id bigserial PRIMARY KEY,
  name text NOT NULL DEFAULT '',
  team_id bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  worker_name text NOT NULL REFERENCES workers (name) ON DELETE CASCADE,
  volume_handle text NOT NULL,
  build_id bigint REFERENCES builds (id) ON DELETE CASCADE,
  created_at bigint NOT NULL
);
CREATE INDEX worker_artifacts_build_id_idx ON worker_artifacts (build_id);
CREATE INDEX worker_artifacts_created_at_idx ON worker_artifacts (created_at);
)sql";

constexpr std::string_view kWorkerArtifactsDown = R"sql(
DROP TABLE worker_artifacts;
)sql";

}  // namespace

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "initial schema: teams, users, tokens, workers, builds, containers, volumes", kInitialUp,
       kInitialDown},
      {2, "collector indexes", kCollectorIndexesUp, kCollectorIndexesDown},
      {3, "pipelines, jobs, resources, versions, builds and build events", kPipelinesUp,
       kPipelinesDown},
      {4, "checker and scheduler state", kSchedulingUp, kSchedulingDown},
      {5, "next_check in milliseconds", kCheckMillisUp, kCheckMillisDown},
      {6, "web node leases", kWebNodesUp, kWebNodesDown},
      {7, "fly execute artifacts", kWorkerArtifactsUp, kWorkerArtifactsDown},
  };
  return all;
}

}  // namespace concourse::atc::db
