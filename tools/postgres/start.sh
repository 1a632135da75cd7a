#!/bin/bash
# Start a test PostgreSQL server of our own: data in $FSSTAR_PG_DIR, listening on 127.0.0.1:$FSSTAR_PG_PORT
# only, with a role and a database for the tests. It prints the tests' DSN on stdout, so:
#
#   export FSSTAR_TEST_POSTGRES=$(bash tools/postgres/start.sh)
#
# Messages go to stderr; on failure the last one says why. When the server of $FSSTAR_PG_DIR is
# already running, it prints that server's DSN. Stop it with tools/postgres/stop.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

fail() { echo "$*" >&2; exit 1; }

bin=$(pg_bin) || fail "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb): run tools/postgres/install.sh as root, or apt-get install postgresql"
dir=$FSSTAR_PG_DIR
data=$dir/data
wait=${FSSTAR_PG_WAIT:-60}

if [ -s "$dir/dsn" ] && [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
  echo "PostgreSQL of $dir already running" >&2
  cat "$dir/dsn"
  exit 0
fi

# A fresh server each time: nothing kept from an earlier run.
if [ -e "$dir" ] && [ ! -e "$dir/.fsstar-pg" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
  fail "$dir is not empty and not a test PostgreSQL directory of ours: set FSSTAR_PG_DIR to another"
fi
if [ -f "$data/postmaster.pid" ]; then
  as_owner "$bin/pg_ctl" stop -D "$data" -m immediate -w -t 30 >/dev/null 2>&1 || true
fi
rm -rf "$dir"
mkdir -p "$dir"
chmod 700 "$dir"
touch "$dir/.fsstar-pg"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi

# The socket is in $dir (mode 700): only its owner reaches the server without a password;
# over TCP every role needs its password.
as_owner "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
  --auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; fail "initdb failed (see above)"; }

# Our port, or the next free one of a few: skip a port something listens on (bash's /dev/tcp
# connects), and move on when the server cannot bind it (a connection may hold it).
# Test settings: loopback only, no durability (a test server), enough connections for
# go test's parallel packages.
port=
for ((p = FSSTAR_PG_PORT; p < FSSTAR_PG_PORT + 10; p++)); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue; fi
  opts="-c listen_addresses=127.0.0.1 -p $p -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
  if as_owner "$bin/pg_ctl" start -D "$data" -l "$dir/server.log" -w -t "$wait" -o "$opts" >/dev/null 2>&1; then
    port=$p
    break
  fi
  if ! grep -q "could not create any TCP/IP sockets" "$dir/server.log" 2>/dev/null; then
    tail -n 20 "$dir/server.log" >&2 || true
    as_owner "$bin/pg_ctl" stop -D "$data" -m immediate >/dev/null 2>&1 || true
    fail "the PostgreSQL server did not start within ${wait}s (log above: $dir/server.log)"
  fi
done
[ -n "$port" ] || { tail -n 5 "$dir/server.log" >&2 || true; fail "ports $FSSTAR_PG_PORT-$((FSSTAR_PG_PORT + 9)) on 127.0.0.1 are all taken"; }

pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres)
as_owner "${psql[@]}" -c "CREATE ROLE $FSSTAR_PG_USER LOGIN PASSWORD '$pw'" -c "CREATE DATABASE $FSSTAR_PG_DB OWNER $FSSTAR_PG_USER" >&2 ||
  { as_owner "$bin/pg_ctl" stop -D "$data" -m fast >/dev/null 2>&1 || true; fail "could not create role $FSSTAR_PG_USER and database $FSSTAR_PG_DB"; }

dsn="postgres://$FSSTAR_PG_USER:$pw@127.0.0.1:$port/$FSSTAR_PG_DB?sslmode=disable"
(umask 077 && echo "$dsn" >"$dir/dsn")
echo "PostgreSQL $("$bin/postgres" -V | awk '{print $3}') started on 127.0.0.1:$port, data $data, log $dir/server.log" >&2
echo "$dsn"
