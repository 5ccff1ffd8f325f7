#!/usr/bin/env bash
# Smoke test of the live page without npm: ambid --simulate, ambi-web on a free port, and
# `chromium --headless --dump-dom` on the page; the DOM must hold the page's frame (the page's
# script keeps an event stream open, so the dump is taken at load, before the stream's data).
# usage: web_smoke_dump_dom.sh AMBID AMBI_WEB [CHROMIUM]
set -euo pipefail
ambid=${1:?AMBID}
web=${2:?AMBI_WEB}
chromium=${3:-/usr/bin/chromium}
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

# Its simulated sensors link into this test's folder ($XDG_RUNTIME_DIR), not the one other tests share.
XDG_RUNTIME_DIR="$dir" "$ambid" --simulate --data-dir "$dir/data" --listen "unix:$dir/ambid.sock" 2> "$dir/ambid.log" &
pids+=($!)
"$web" --listen 127.0.0.1:0 --connect "unix:$dir/ambid.sock" > "$dir/web.out" 2> "$dir/web.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q 'serving http' "$dir/web.out" 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o 'http://[^ ]*/' "$dir/web.out" | head -1)
[ -n "$url" ] || { echo "ambi-web did not start:"; cat "$dir/web.log"; exit 1; }

timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$dir/profile" --dump-dom "$url" \
  > "$dir/dom.html" 2> "$dir/chromium.log" || { cat "$dir/chromium.log"; exit 1; }

fail=0
grep -q '<main id="tiles"' "$dir/dom.html" || { echo "no tiles container in the DOM"; fail=1; }
grep -q 'id="drop-banner"' "$dir/dom.html" || { echo "no stream-drop banner in the DOM"; fail=1; }
grep -q 'src="app.js"' "$dir/dom.html" || { echo "the page's script is not referenced"; fail=1; }
if [ $fail -ne 0 ]; then head -c 4000 "$dir/dom.html"; exit 1; fi
echo "smoke: the page loads ($url)"
