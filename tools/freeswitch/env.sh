#!/bin/bash
# Shared settings for the test FreeSWITCH scripts; sourced, not run.
# Override FSSTAR_FS_PREFIX to use a switch installed elsewhere.
FSSTAR_FS_PREFIX=${FSSTAR_FS_PREFIX:-/opt/fsstar-fs}
FSSTAR_FS_BIN=$FSSTAR_FS_PREFIX/bin
FSSTAR_FS_CONF=$FSSTAR_FS_PREFIX/conf
FSSTAR_FS_CONF_VANILLA=$FSSTAR_FS_PREFIX/conf.vanilla   # pristine copy of `make samples`
FSSTAR_FS_LOG=$FSSTAR_FS_PREFIX/log
FSSTAR_FS_RUN=$FSSTAR_FS_PREFIX/run
FSSTAR_FS_SCRIPTS=$FSSTAR_FS_PREFIX/scripts
FSSTAR_FS_DB=$FSSTAR_FS_PREFIX/db
FSSTAR_FS_PIDFILE=$FSSTAR_FS_RUN/freeswitch.pid
FSSTAR_FS_CONSOLE_LOG=$FSSTAR_FS_LOG/console.log       # stdout/stderr of the daemon
# Event socket (loopback only).
FSSTAR_FS_ESL_HOST=${FSSTAR_FS_ESL_HOST:-127.0.0.1}
FSSTAR_FS_ESL_PORT=${FSSTAR_FS_ESL_PORT:-8021}
FSSTAR_FS_ESL_PASSWORD=${FSSTAR_FS_ESL_PASSWORD:-ClueCon}
# Directory of these scripts and of the config overlay.
FSSTAR_FS_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FSSTAR_FS_OVERLAY=$FSSTAR_FS_TOOLS/conf-overlay
export FSSTAR_FS_PREFIX FSSTAR_FS_BIN FSSTAR_FS_CONF FSSTAR_FS_CONF_VANILLA FSSTAR_FS_LOG \
  FSSTAR_FS_RUN FSSTAR_FS_SCRIPTS FSSTAR_FS_DB FSSTAR_FS_PIDFILE FSSTAR_FS_CONSOLE_LOG \
  FSSTAR_FS_ESL_HOST FSSTAR_FS_ESL_PORT FSSTAR_FS_ESL_PASSWORD FSSTAR_FS_TOOLS FSSTAR_FS_OVERLAY

# fs_esl_api CMD: run one "api CMD" over the event socket and print the body.
# Pure bash (/dev/tcp); returns non-zero if the socket or auth fails or no
# reply comes within FSSTAR_FS_ESL_TIMEOUT seconds (default 30; originate blocks until answer).
fs_esl_api() {
  local cmd=$1 line len=0 fd tmo=${FSSTAR_FS_ESL_TIMEOUT:-30}
  exec {fd}<>"/dev/tcp/$FSSTAR_FS_ESL_HOST/$FSSTAR_FS_ESL_PORT" 2>/dev/null || return 1
  # read one header block; sets len from Content-Length
  _fs_hdr() {
    len=0
    while IFS= read -r -t "$tmo" line <&"$fd"; do
      line=${line%$'\r'}
      [ -z "$line" ] && return 0
      case $line in Content-Length:*) len=${line#Content-Length: } ;;
                    Reply-Text:*) _fs_reply=${line#Reply-Text: } ;; esac
    done
    return 1
  }
  local _fs_reply=
  _fs_hdr || { exec {fd}>&-; return 1; }                      # auth/request
  printf 'auth %s\n\n' "$FSSTAR_FS_ESL_PASSWORD" >&"$fd"
  _fs_hdr || { exec {fd}>&-; return 1; }
  case $_fs_reply in '+OK'*) ;; *) echo "ESL auth failed: $_fs_reply" >&2; exec {fd}>&-; return 1 ;; esac
  printf 'api %s\n\n' "$cmd" >&"$fd"
  _fs_hdr || { exec {fd}>&-; return 1; }
  if [ "$len" -gt 0 ]; then head -c "$len" <&"$fd"; fi
  printf 'exit\n\n' >&"$fd" 2>/dev/null || true
  exec {fd}>&-
  return 0
}
