#!/bin/bash
# Wait (bounded) until ESL on 127.0.0.1:8021 answers `api status` with UP.
# Usage: wait-ready.sh [seconds]   (default 60)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

limit=${1:-60}
deadline=$(( SECONDS + limit ))
while [ $SECONDS -lt $deadline ]; do
  if out=$(FSSTAR_FS_ESL_TIMEOUT=5 fs_esl_api status 2>/dev/null) && grep -q '^UP ' <<<"$out"; then
    echo "FreeSWITCH ready on $FSSTAR_FS_ESL_HOST:$FSSTAR_FS_ESL_PORT: $(head -n1 <<<"$out")"
    exit 0
  fi
  # give up early if the daemon we started has died
  if [ -f "$FSSTAR_FS_PIDFILE" ]; then
    pid=$(cat "$FSSTAR_FS_PIDFILE" 2>/dev/null || true)
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      echo "FreeSWITCH (pid $pid) exited before it was ready" >&2
      break
    fi
  fi
  sleep 1
done
echo "FreeSWITCH not ready on $FSSTAR_FS_ESL_HOST:$FSSTAR_FS_ESL_PORT within ${limit}s; log tail:" >&2
for f in "$FSSTAR_FS_CONSOLE_LOG" "$FSSTAR_FS_LOG/freeswitch.log"; do
  [ -f "$f" ] && { echo "--- $f" >&2; tail -n 40 "$f" >&2; }
done
exit 1
