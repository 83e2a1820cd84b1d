#!/bin/sh
# The main job: install dependencies, build, start fleetpatchd on 127.0.0.1 with its embedded
# SQLite store under a local state directory, enroll this machine's agent (read-only: it reads
# dpkg/apt or rpm/dnf state and changes nothing), check in, and print the fleet summary.
# The server keeps running; the last lines say how to use and stop it.
#
# Environment:
#   FLEETPATCH_STATE  state directory (default ./.fleetpatch)
#   FLEETPATCH_PORT   port (default 8443; 0 = any free port)
#   FLEETPATCH_FEEDS  vulnerability feeds to import first (files or URLs, space-separated);
#                     default: the sample feeds in ../shared/data when present
#   FP_BUILD_DIR      an existing build directory to use (default ./build)
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
STATE=${FLEETPATCH_STATE:-$ROOT/.fleetpatch}
PORT=${FLEETPATCH_PORT:-8443}
BUILD=${FP_BUILD_DIR:-$ROOT/build}

scripts/deps.sh >/dev/null
[ -d "$BUILD" ] || meson setup "$BUILD" -Dbuildtype=release >/dev/null
ninja -C "$BUILD" >/dev/null
FP=$BUILD/src/cli/fleetpatch
FPD=$BUILD/src/server/fleetpatchd
AGENT=$BUILD/src/agent/daemon/fleetpatch-agent

mkdir -p "$STATE"
chmod 700 "$STATE"
SRV=$STATE/server

# Vulnerability data for server-side findings (optional; the server works without it).
FEEDS=${FLEETPATCH_FEEDS:-}
SHARED=$ROOT/../shared/data
if [ -z "$FEEDS" ] && [ -d "$SHARED" ]; then
  for f in "$SHARED/kev/known_exploited_vulnerabilities.json" \
           "$SHARED/debian/tracker-json/osvdev-debian_security_tracker_mock.json" \
           "$SHARED/debian/dsa-list/vunnel-DSA-excerpt"; do
    [ -f "$f" ] && FEEDS="$FEEDS $f"
  done
fi
mkdir -p "$SRV"
chmod 700 "$SRV"
if [ -n "$FEEDS" ]; then
  # shellcheck disable=SC2086
  "$FP" feeds import --quiet --db "$SRV/vuln.db" $FEEDS >/dev/null ||
    echo "run: some feeds did not import (see: $FP feeds status --db $SRV/vuln.db)" >&2
fi

# Start the server unless ours is already running.
PIDFILE=$STATE/fleetpatchd.pid
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "fleetpatchd already running (pid $(cat "$PIDFILE"))"
else
  rm -f "$SRV/fleetpatchd.url"
  "$FPD" --state-dir "$SRV" --port "$PORT" >"$STATE/fleetpatchd.log" 2>&1 &
  echo $! >"$PIDFILE"
  i=0
  while [ ! -s "$SRV/fleetpatchd.url" ]; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null || [ $i -ge 300 ]; then
      echo "run: fleetpatchd did not start:" >&2
      cat "$STATE/fleetpatchd.log" >&2
      exit 1
    fi
    i=$((i + 1))
    sleep 0.1
  done
fi
URL=$(cat "$SRV/fleetpatchd.url")
CA=$SRV/tls/ca.pem
TOKEN=$(cat "$SRV/admin.token")
export FLEETPATCH_SERVER="$URL" FLEETPATCH_CACERT="$CA" FLEETPATCH_TOKEN="$TOKEN"

# Enroll this machine once; later runs only check in.
AGENT_STATE=$STATE/agent
if [ ! -f "$AGENT_STATE/credential" ]; then
  "$FP" agents enroll-token --account default --ttl 600 >"$STATE/enroll.token"
  chmod 600 "$STATE/enroll.token"
fi
cat >"$STATE/agent.conf" <<CONF
server = $URL
ca_file = $CA
state_dir = $AGENT_STATE
root = /
enroll_token_file = $STATE/enroll.token
CONF
"$AGENT" --config "$STATE/agent.conf" --once
rm -f "$STATE/enroll.token"

# A dashboard sign-in (the bootstrap admin has a token only): user "dashboard", admin of the
# default account, its password generated once and kept 0600 beside the state.
PWFILE=$STATE/dashboard.password
if [ ! -s "$PWFILE" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 >"$PWFILE.new")
  "$FP" users create dashboard --password-file "$PWFILE.new" --grant default=admin >/dev/null &&
    mv "$PWFILE.new" "$PWFILE" || { rm -f "$PWFILE.new"; echo "run: cannot create the dashboard user" >&2; }
fi

echo
"$FP" summary
echo
"$FP" hosts ls
echo
echo "fleetpatchd: $URL (pid $(cat "$PIDFILE"), log $STATE/fleetpatchd.log)"
echo "CLI:         export FLEETPATCH_SERVER=$URL FLEETPATCH_CACERT=$CA FLEETPATCH_TOKEN=\$(cat $SRV/admin.token)"
echo "dashboard:   $URL/  (user dashboard, password in $PWFILE; CA $CA)"
echo "stop:        kill $(cat "$PIDFILE")"
