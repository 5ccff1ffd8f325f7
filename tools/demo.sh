#!/usr/bin/env bash
# The main job on its built-in default: starts the live daemon `ambid --simulate`, whose simulated
# athletes send WitMotion serial bytes through pseudo-terminals that ambid opens as serial ports
# (the real serial path), and a client that prints the live rep-by-rep left/right asymmetry:
#   alice: bilateral biceps curls, left side 12 % less range of motion;
#   bob:   knee extensions, symmetric.
# Sets of 8-10 reps with 25 s rest, forever; Ctrl-C stops both (the daemon flushes its session
# store and captures on the way out).
# Installs the Debian packages and builds first (AMBI_SKIP_SETUP=1 skips the install).
# AMBI_DEMO_FORMAT=json prints the raw event stream; AMBI_DEMO_DIR keeps the sessions elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${AMBI_JOBS:-2}

if [ "${AMBI_SKIP_SETUP:-0}" != 1 ]; then tools/setup-debian.sh; fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build/release -j "$jobs" --target ambid ambictl ambi-web

demo_dir=${AMBI_DEMO_DIR:-$PWD/build/demo}
mkdir -p "$demo_dir"
socket="unix:$demo_dir/ambid.sock"
build/release/daemon/app/ambid --simulate --data-dir "$demo_dir/data" --listen "$socket" \
  2> "$demo_dir/ambid.log" &
daemon=$!
# The coach's page on the same athletes (loopback; AMBI_WEB_LISTEN=0.0.0.0:8080 for a tablet on
# the network, which then pairs with the code printed in the web log).
web_listen=${AMBI_WEB_LISTEN:-127.0.0.1:8080}
build/release/clients/web/ambi-web --listen "$web_listen" --connect "$socket" \
  > "$demo_dir/ambi-web.log" 2>&1 &
web=$!
trap 'kill -TERM $web $daemon 2>/dev/null; wait $web $daemon 2>/dev/null || true' EXIT INT TERM

echo "== ambi demo: live daemon on simulated sensors (serial over pseudo-terminals) =="
echo "   alice: biceps curls, left side 12 % less range; bob: knee extensions, symmetric"
echo "   daemon log: $demo_dir/ambid.log; sessions: $demo_dir/data; Ctrl-C to stop"
for _ in $(seq 50); do grep -q 'serving http' "$demo_dir/ambi-web.log" 2>/dev/null && break; sleep 0.1; done
echo "   coach's live page: open $(grep -o 'http[s]*://[^ ]*/' "$demo_dir/ambi-web.log" | head -1 || echo "http://$web_listen/")"
grep 'pairing code' "$demo_dir/ambi-web.log" | tail -1 | sed 's/^/   /' || true
echo "   second terminal: build/release/clients/ctl/ambictl --connect $socket watch --table"
echo "                    (or: export AMBI_ADDRESS=$socket; ambictl sessions | show | balance)"
json=()
if [ "${AMBI_DEMO_FORMAT:-text}" = json ]; then json=(--json); fi
build/release/clients/ctl/ambictl --connect "$socket" --wait-for-server 20 watch "${json[@]}"
