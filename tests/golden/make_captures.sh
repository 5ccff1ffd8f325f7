#!/usr/bin/env bash
# Re-creates the golden captures with ambi-sim (our own fixtures; no third-party data).
# Run after a deliberate simulator change, then `ninja update-goldens`, review, commit both.
#   make_captures.sh AMBI_SIM
set -euo pipefail
sim=${1:?path to ambi-sim}
dir=$(cd "$(dirname "$0")" && pwd)
make() {  # name, args...
  local name=$1; shift
  "$sim" "$@" --format capture --force --out "$dir/$name.capture"
  rm -f "$dir/$name.capture.truth.json"
}
make curl_asym10 --preset curl-asym10 --protocol witmotion-serial
make lateral_raise_symmetric --preset lateral-raise --protocol witmotion-ble
make squat_asym15 --preset squat-asym15 --protocol ambi-sample
make curl_dropouts --preset curl-dropouts --protocol witmotion-serial
make unilateral_curl --preset unilateral-curl --protocol witmotion-serial
make curl_ble_stalls --preset curl --protocol witmotion-ble --stalls-per-s 0.25
