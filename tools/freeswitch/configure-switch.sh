#!/bin/bash
# Rebuild $FSSTAR_FS_PREFIX/conf from the pristine vanilla config plus our overlay.
# Idempotent: the first run saves conf as conf.vanilla; every run starts from it.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

"$FSSTAR_FS_TOOLS/installed.sh" >&2 || exit 1

# Keep a pristine copy of the vanilla config (from `make samples`) once.
if [ ! -d "$FSSTAR_FS_CONF_VANILLA" ]; then
  [ -f "$FSSTAR_FS_CONF/freeswitch.xml" ] || { echo "no vanilla config in $FSSTAR_FS_CONF (run make samples)" >&2; exit 1; }
  cp -a "$FSSTAR_FS_CONF" "$FSSTAR_FS_CONF_VANILLA"
fi

# Fresh copy of vanilla, then the overlay on top.
tmp="$FSSTAR_FS_PREFIX/conf.new.$$"
rm -rf "$tmp"
cp -a "$FSSTAR_FS_CONF_VANILLA" "$tmp"
cp -r "$FSSTAR_FS_OVERLAY"/. "$tmp"/

# vars.xml: pull in our globals first, drop vanilla lines that would override
# them (domain, bind_server_ip, default_password) or do STUN lookups (stun-set).
vars="$tmp/vars.xml"
sed -i \
  -e '/cmd="stun-set"/d' \
  -e '/cmd="set" data="domain=/d' \
  -e '/cmd="set" data="bind_server_ip=/d' \
  -e '/cmd="set" data="default_password=/d' \
  -e '0,/<include>/s#<include>#<include>\n  <X-PRE-PROCESS cmd="include" data="fsstar-vars.xml"/>#' \
  "$vars"
grep -q 'data="fsstar-vars.xml"' "$vars" || { echo "could not patch $vars" >&2; exit 1; }
if grep -E '^[[:space:]]*<X-PRE-PROCESS cmd="[^"]*" data="[^"]*stun:' "$vars" >&2; then
  echo "STUN lookup left in $vars" >&2; exit 1
fi

# Vanilla throttles new sessions at 30/s (a loopback call is two): the load
# and failover tests and the benchmark place calls faster than that.
sed -i 's|<param name="sessions-per-second" value="30"/>|<param name="sessions-per-second" value="1000"/>|' \
  "$tmp/autoload_configs/switch.conf.xml"
grep -q '"sessions-per-second" value="1000"' "$tmp/autoload_configs/switch.conf.xml" || {
  echo "could not raise sessions-per-second in switch.conf.xml" >&2; exit 1; }

# mod_python3 is optional: do not ask for it if it was not built.
if [ ! -e "$FSSTAR_FS_PREFIX/mod/mod_python3.so" ]; then
  sed -i '/mod_python3/d' "$tmp/autoload_configs/modules.conf.xml"
fi

rm -rf "$FSSTAR_FS_CONF"
mv "$tmp" "$FSSTAR_FS_CONF"
echo "config ready in $FSSTAR_FS_CONF (vanilla + $FSSTAR_FS_OVERLAY)"
