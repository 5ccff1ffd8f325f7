#!/usr/bin/env bash
# Re-creates the golden captures made from real recordings (README_real.md: source, authors,
# licence). Only the first lines of each CSV are kept (the first set); values are unchanged,
# re-encoded as kAmbiSample frames by ambi-replay --save-capture.
#   make_real_captures.sh AMBI_REPLAY [SHARED_DATA_DIR]
set -euo pipefail
replay=${1:?path to ambi-replay}
real=${2:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/data}/real
dir=$(cd "$(dirname "$0")" && pwd)
# A fixed folder: the capture header records each CSV's path, so the file is reproducible.
tmp=/tmp/ambi_real_captures; rm -rf "$tmp"; mkdir -p "$tmp"; trap 'rm -rf "$tmp"' EXIT
# name, lines kept (header + samples), exercise, PLACEMENT=RECORDING/FILE...
make() {
  local name=$1 lines=$2 exercise=$3; shift 3
  local sensors=()
  for spec in "$@"; do
    local placement=${spec%%=*} file=${spec#*=}
    local excerpt="$tmp/${file//\//_}"
    head -n "$lines" "$real/$file" > "$excerpt"
    sensors+=(--sensor "$placement=$excerpt")
  done
  rm -f "$dir/$name.capture"
  "$replay" --exercise "$exercise" "${sensors[@]}" --save-capture "$dir/$name.capture" > /dev/null
}
# Seated dumbbell curl, right wrist, set 1 (correct execution, 10 reps): 98 s at 25 Hz.
make uci_pt_s1_e6_curl 2451 biceps_curl right_wrist=pt_s1_e6_test/u2.csv
# Supine straight-leg raise, set 1: right ankle works, left ankle still: 88 s at 25 Hz.
make uci_pt_s1_e3_leg_raise 2201 straight_leg_raise \
  left_ankle=pt_s1_e3_test/u1.csv right_ankle=pt_s1_e3_test/u2.csv
