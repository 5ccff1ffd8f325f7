#!/usr/bin/env bash
# Re-creates the captures of the ambictl end-to-end test with ambi-sim (our own fixtures; their
# headers name the exercise and mode, so `ambid --replay` runs the catalog exercise).
#   make_captures.sh AMBI_SIM
set -euo pipefail
sim=${1:?path to ambi-sim}
dir=$(cd "$(dirname "$0")" && pwd)/captures
mkdir -p "$dir"
make() {  # name, args...
  local name=$1; shift
  "$sim" "$@" --format capture --force --out "$dir/$name.capture"
  rm -f "$dir/$name.capture.truth.json"
}
make curl_asym10 --preset curl-asym10 --protocol witmotion-serial
make squat_asym15 --preset squat-asym15 --protocol ambi-sample
make curl_dropouts --preset curl-dropouts --protocol witmotion-serial
make unilateral_curl --preset unilateral-curl --protocol witmotion-serial
