#!/bin/bash
# Install Debian's postgresql package when no PostgreSQL server is installed (root, apt, bounded time).
# The package's own cluster is not used: start.sh runs a server of its own.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if d=$(pg_bin); then
  echo "PostgreSQL already installed: $d"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "no PostgreSQL server installed (/usr/lib/postgresql/*/bin/initdb) and not root: install Debian's postgresql package" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "no PostgreSQL server installed and no apt-get to install one" >&2
  exit 1
fi
limit=${FSSTAR_PG_INSTALL_TIMEOUT:-600}
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
if ! timeout "$limit" apt-get update -q; then
  echo "apt-get update failed or took over ${limit}s" >&2
  exit 1
fi
if ! timeout $((limit - (SECONDS - start))) apt-get install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql; then
  echo "apt-get install postgresql failed or took over ${limit}s in all" >&2
  exit 1
fi
if ! d=$(pg_bin); then
  echo "apt-get installed postgresql but no server is in /usr/lib/postgresql/*/bin" >&2
  exit 1
fi
echo "PostgreSQL installed in $((SECONDS - start))s: $d"
