#!/bin/bash
# Stop the test FreeSWITCH: `api shutdown` over ESL, else SIGTERM by pid; SIGKILL after a bounded wait.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

pid=
[ -f "$FSSTAR_FS_PIDFILE" ] && pid=$(cat "$FSSTAR_FS_PIDFILE" 2>/dev/null || true)
if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
  echo "FreeSWITCH not running"
  rm -f "$FSSTAR_FS_PIDFILE"
  exit 0
fi

# Ask politely; fall back to SIGTERM.
FSSTAR_FS_ESL_TIMEOUT=3 fs_esl_api shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true

limit=${FSSTAR_FS_STOP_WAIT:-20}
for ((i = 0; i < limit * 2; i++)); do
  kill -0 "$pid" 2>/dev/null || { echo "FreeSWITCH stopped (pid $pid)"; rm -f "$FSSTAR_FS_PIDFILE"; exit 0; }
  [ $i -eq $limit ] && kill -TERM "$pid" 2>/dev/null || true   # halfway: SIGTERM too
  sleep 0.5
done

echo "FreeSWITCH (pid $pid) did not stop in ${limit}s; killing" >&2
kill -KILL "$pid" 2>/dev/null || true
sleep 0.5
rm -f "$FSSTAR_FS_PIDFILE"
