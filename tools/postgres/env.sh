# Sourced by the tools/postgres scripts: where the test PostgreSQL lives.
# Override any of these in the environment.

# The directory of one test server: data/, socket, log and its DSN (dsn, mode 600).
FSSTAR_PG_DIR=${FSSTAR_PG_DIR:-/tmp/fsstar-pg}
# Its TCP port on 127.0.0.1: not 5432, so that a system server does not clash, and below
# Linux's ephemeral range (32768-60999), where a client's connection may hold the port.
# When taken, start.sh tries the next few.
FSSTAR_PG_PORT=${FSSTAR_PG_PORT:-25432}
# The role and database the tests use (the role owns the database).
FSSTAR_PG_USER=${FSSTAR_PG_USER:-fsstar}
FSSTAR_PG_DB=${FSSTAR_PG_DB:-fsstar_test}

# pg_bin prints the bin directory of the PostgreSQL server to use: $FSSTAR_PG_BIN when set,
# else the newest one installed the Debian way (/usr/lib/postgresql/<version>/bin); or fails.
pg_bin() {
  local d=${FSSTAR_PG_BIN:-}
  [ -n "$d" ] || d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ] || return 1
  echo "$d"
}

# as_owner runs a command as the server's owner: the postgres user when we are root
# (PostgreSQL refuses to run as root), ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}
