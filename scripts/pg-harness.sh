#!/usr/bin/env bash
# A throw-away PostgreSQL for humans and CI, the same way the tests start one (EmbeddedPostgres):
# Debian's server binaries, unix socket only, fsync off, run as `postgres` when invoked as root.
#
#   scripts/pg-harness.sh start DIR   # initdb on first use, start, create database `atc`
#   scripts/pg-harness.sh stop DIR
#
# `start` prints the --postgres-* env vars to eval:  eval "$(scripts/pg-harness.sh start /tmp/pg)"
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
dir=$(realpath -m "$2")
port=5432
user=concourse
database=atc

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [[ -z $bindir || ! -x $bindir/postgres ]]; then
  echo "error: no PostgreSQL server binaries in /usr/lib/postgresql/<version>/bin;" \
    "install the Debian package postgresql (scripts/deps.sh)" >&2
  exit 1
fi

# As root, everything the server touches belongs to `postgres`, which PostgreSQL runs as.
as_server() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case $cmd in
  start)
    mkdir -p "$dir/socket"
    chmod 0700 "$dir" "$dir/socket"
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || { echo "error: no postgres user; install postgresql" >&2; exit 1; }
      chown postgres:postgres "$dir" "$dir/socket"
    fi
    if [[ ! -f $dir/pgdata/PG_VERSION ]]; then
      as_server "$bindir/initdb" -D "$dir/pgdata" -U "$user" --auth=trust --encoding=UTF8 \
        --locale=C --no-instructions --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    as_server "$bindir/pg_ctl" -D "$dir/pgdata" -l "$dir/pgdata/postgres.log" -w -t 60 start \
      -o "-k $dir/socket -p $port -c listen_addresses= -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off" >&2
    if [[ -z $(psql -h "$dir/socket" -p $port -U $user -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$database'") ]]; then
      psql -h "$dir/socket" -p $port -U $user -d postgres -qc "CREATE DATABASE $database" >&2
    fi
    echo "export CONCOURSE_POSTGRES_SOCKET=$dir/socket CONCOURSE_POSTGRES_PORT=$port" \
      "CONCOURSE_POSTGRES_USER=$user CONCOURSE_POSTGRES_DATABASE=$database"
    ;;
  stop)
    if [[ -f $dir/pgdata/postmaster.pid ]]; then
      as_server "$bindir/pg_ctl" -D "$dir/pgdata" -m fast -w -t 60 stop >&2
    fi
    ;;
  *) usage ;;
esac
