#!/bin/bash
# Stop the test PostgreSQL of $FSSTAR_PG_DIR (started by start.sh) and remove its directory.
# FSSTAR_PG_KEEP=1 keeps the directory (data and server.log).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

dir=$FSSTAR_PG_DIR
if [ -f "$dir/data/postmaster.pid" ] && bin=$(pg_bin); then
  # fast: roll back open transactions and disconnect; immediate if that takes too long.
  as_owner "$bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 ||
    as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null 2>&1 || true
  echo "PostgreSQL of $dir stopped" >&2
else
  echo "PostgreSQL of $dir not running" >&2
fi
if [ "${FSSTAR_PG_KEEP:-}" != 1 ] && [ -e "$dir/.fsstar-pg" ]; then
  rm -rf "$dir"
fi
