#!/bin/bash
# Apply our config and start the test FreeSWITCH in the background, then wait until ESL is up.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if ! why=$("$FSSTAR_FS_TOOLS/installed.sh"); then
  echo "cannot start FreeSWITCH: $why" >&2
  exit 1
fi

# Already running? Then only wait for it.
if [ -f "$FSSTAR_FS_PIDFILE" ]; then
  pid=$(cat "$FSSTAR_FS_PIDFILE" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "FreeSWITCH already running (pid $pid); not reconfiguring"
    exec "$FSSTAR_FS_TOOLS/wait-ready.sh" "${FSSTAR_FS_WAIT:-60}"
  fi
  rm -f "$FSSTAR_FS_PIDFILE"   # stale
fi

"$FSSTAR_FS_TOOLS/configure-switch.sh"

mkdir -p "$FSSTAR_FS_LOG" "$FSSTAR_FS_RUN" "$FSSTAR_FS_DB" "$FSSTAR_FS_SCRIPTS"
# mod_python3's freeswitch.py is installed inside the prefix.
export PYTHONPATH="$FSSTAR_FS_PREFIX/python3${PYTHONPATH:+:$PYTHONPATH}"
export LD_LIBRARY_PATH="$FSSTAR_FS_PREFIX/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# -nc -nf: no console, no fork; we background it ourselves in its own session.
# -nonat -nonatmap: no UPnP/NAT-PMP probing. The daemon writes its pid file.
# It must not inherit our other open files: under
# `flock /tmp/fsstar-switch.lock tools/freeswitch/start.sh` it would hold the
# lock for as long as it runs, and every later flock would wait for ever. The
# subshell closes them (not this shell: bash reads the script from one).
(
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
  exec setsid "$FSSTAR_FS_BIN/freeswitch" -nonat -nonatmap -nc -nf \
    -base "$FSSTAR_FS_PREFIX" -conf "$FSSTAR_FS_CONF" -log "$FSSTAR_FS_LOG" \
    -run "$FSSTAR_FS_RUN" -db "$FSSTAR_FS_DB" -scripts "$FSSTAR_FS_SCRIPTS"
) </dev/null >>"$FSSTAR_FS_CONSOLE_LOG" 2>&1 &
echo "FreeSWITCH started (pid $!), log $FSSTAR_FS_CONSOLE_LOG"

exec "$FSSTAR_FS_TOOLS/wait-ready.sh" "${FSSTAR_FS_WAIT:-60}"
