#!/usr/bin/env bash
# Golden replay test: replays tests/golden/NAME.capture with ambi-replay and compares the events
# with NAME.events.jsonl. A missing golden is a failure. With --update, rewrites the golden
# instead (the `update-goldens` build target runs that for every capture).
#   golden_test.sh AMBI_REPLAY GOLDEN_DIR NAME [--update]
set -u
replay=${1:?ambi-replay path}; dir=${2:?golden dir}; name=${3:?capture name}; mode=${4:-check}
capture="$dir/$name.capture"
golden="$dir/$name.events.jsonl"
args_file="$dir/$name.args"
args=()
if [ -f "$args_file" ]; then read -r -a args < "$args_file"; fi

if [ ! -f "$capture" ]; then echo "golden: capture $capture is missing"; exit 1; fi
actual=$(mktemp); trap 'rm -f "$actual"' EXIT
if ! "$replay" --round "${args[@]}" "$capture" > "$actual"; then
  echo "golden: ambi-replay failed on $capture"; exit 1
fi
if [ ! -s "$actual" ]; then echo "golden: ambi-replay printed no events for $capture"; exit 1; fi

if [ "$mode" = "--update" ]; then
  cp "$actual" "$golden"; echo "golden: wrote $golden ($(wc -l < "$golden") events)"; exit 0
fi
if [ ! -f "$golden" ]; then
  echo "golden: $golden is missing; build the update-goldens target, review the file, commit it"; exit 1
fi
if ! diff -u "$golden" "$actual" > "$actual.diff"; then
  echo "golden: events of $name differ from $golden (rebuild with the update-goldens target if intended):"
  head -c 6000 "$actual.diff"; rm -f "$actual.diff"; exit 1
fi
rm -f "$actual.diff"
echo "golden: $name matches ($(wc -l < "$golden") events)"
