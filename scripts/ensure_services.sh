#!/usr/bin/env bash
# Make sure the test suite's PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) are up,
# starting them when they are down. Fails loudly: the PostgreSQL and Redis tests must run in
# CI, never be skipped because a server happened to be off.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
# What tests/db_fixtures.py connects with (it honours the same variable).
PG_ADMIN_URL="${TEST_PG_ADMIN_URL:-postgresql://postgres@${PG_HOST}:${PG_PORT}/postgres}"

log() { echo "ensure_services: $*" >&2; }
die() {
  echo "ensure_services: ERROR: $*" >&2
  exit 1
}

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo -n)
else
  sudo=()
fi

wait_for() { # wait_for SECONDS COMMAND...: poll until COMMAND succeeds
  local seconds=$1
  shift
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@"; then
      return 0
    fi
    sleep 0.25
  done
  return 1
}

# ---- PostgreSQL -------------------------------------------------------------------------
pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

if [ -n "${TEST_PG_ADMIN_URL:-}" ]; then
  log "TEST_PG_ADMIN_URL is set: using that server, not starting a local one"
else
  if ! command -v pg_isready >/dev/null 2>&1 || ! command -v pg_ctlcluster >/dev/null 2>&1; then
    "$here/apt_install.sh" postgresql
  fi
  if ! pg_up; then
    [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql)" ] ||
      die "PostgreSQL is not running and no cluster exists under /etc/postgresql"
    for version in $(ls /etc/postgresql); do
      log "starting PostgreSQL cluster $version/main"
      # --skip-systemctl-redirect: containers have no systemd; start the cluster directly.
      "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
        die "pg_ctlcluster $version main start failed (see /var/log/postgresql/)"
    done
    wait_for 30 pg_up || die "PostgreSQL did not accept connections on $PG_HOST:$PG_PORT within 30 s"
  fi
fi
# Up is not enough: the tests create and drop databases as this user, without a password.
if ! psql "$PG_ADMIN_URL" -XAtqc "SELECT 1" >/dev/null 2>&1; then
  die "PostgreSQL is up but '$PG_ADMIN_URL' cannot connect.
  Allow it in pg_hba.conf (e.g. 'host all postgres 127.0.0.1/32 trust') or set
  TEST_PG_ADMIN_URL to a superuser URL (postgresql://user:password@host:port/postgres)."
fi
log "PostgreSQL OK ($PG_HOST:$PG_PORT)"

# ---- Redis ------------------------------------------------------------------------------
redis_up() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  "$here/apt_install.sh" redis-server redis-tools
fi
if ! redis_up; then
  log "starting Redis on $REDIS_HOST:$REDIS_PORT"
  # Loopback only and no persistence: it holds test data, nothing worth a file on disk.
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" \
    --appendonly no || die "redis-server failed to start"
  wait_for 10 redis_up || die "Redis did not answer PING on $REDIS_HOST:$REDIS_PORT within 10 s"
fi
log "Redis OK ($REDIS_HOST:$REDIS_PORT)"
