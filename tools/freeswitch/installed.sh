#!/bin/bash
# Exit 0 if the test FreeSWITCH is installed under $FSSTAR_FS_PREFIX; say why not otherwise.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

fs=$FSSTAR_FS_BIN/freeswitch
if [ ! -e "$fs" ]; then
  echo "FreeSWITCH not installed: $fs does not exist (FSSTAR_FS_PREFIX=$FSSTAR_FS_PREFIX)"
  exit 1
fi
if [ ! -x "$fs" ]; then
  echo "FreeSWITCH not usable: $fs is not executable"
  exit 1
fi
exit 0
