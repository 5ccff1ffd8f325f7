#!/bin/bash
# ambi-load's sensors and gRPC subscribers, with ambi-web and its browsers (SSE clients) on the
# same ambid: the gym's own configuration. A benchmark, not a test: it prints what it measured.
#
# usage: tools/load/load_with_web.sh [BUILD_DIR] [GRPC_SUBSCRIBERS] [BROWSERS]
#   defaults: build/release, 2 (a logger and `ambictl watch`), 50
# Writes ambi-load's and ambi_web_load's JSON reports to stdout, one per line.
set -euo pipefail
build=${1:-build/release}
subscribers=${2:-2}
browsers=${3:-50}
work=$(mktemp -d /tmp/ambi-load-web.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$build/tools/load/ambi-load" --subscribers "$subscribers" --duration-s 60 --warmup-s 10 \
  --work-dir "$work" --json >"$work/load.json" &
load=$!
for _ in $(seq 1 100); do
  [ -S "$work/ambid.sock" ] && break
  sleep 0.2
done
if [ ! -S "$work/ambid.sock" ]; then
  echo "load_with_web: ambid's socket $work/ambid.sock did not appear" >&2
  exit 1
fi
sleep 3  # the sensors connect and the first sets start
node "$(dirname "$0")/ambi_web_load.mjs" --connect "unix:$work/ambid.sock" \
  --web "$build/clients/web/ambi-web" --clients "$browsers" --duration-s 50 --warmup-s 10 \
  --json >"$work/web.json"
wait "$load"
cat "$work/load.json" "$work/web.json"
