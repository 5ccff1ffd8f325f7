#!/usr/bin/env bash
# The main job on its built-in default: replays a bundled capture of a simulated athlete (a
# bilateral biceps curl whose right side moves through 10 % less range; WitMotion serial bytes as
# a device sends them) through the whole ambi pipeline at real-time pace, and prints reps,
# left/right asymmetry, cues and the set summary as they happen.
# Installs the Debian packages and builds first (AMBI_SKIP_SETUP=1 skips the install).
# AMBI_DEMO_PACE=4 plays four times faster; AMBI_DEMO_FORMAT=json prints the raw event stream.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${AMBI_JOBS:-2}

if [ "${AMBI_SKIP_SETUP:-0}" != 1 ]; then tools/setup-debian.sh; fi
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build/release -j "$jobs" --target ambi-replay ambi-sim

echo "== ambi demo: simulated bilateral curl, right side 10 % less range of motion =="
exec build/release/tools/replay/ambi-replay --exercise biceps_curl \
  --pace "${AMBI_DEMO_PACE:-1}" --format "${AMBI_DEMO_FORMAT:-text}" \
  tests/golden/curl_asym10.capture
