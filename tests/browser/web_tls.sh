#!/usr/bin/env bash
# ambi-web over TLS, end to end: a self-signed certificate made here with the openssl CLI (for
# 127.0.0.1), ambid --simulate, the real ambi-web with tls_cert/tls_key from its config file,
# and curl as the client. Checked: the page over HTTPS when curl trusts the certificate, refused
# when it does not, nothing for plain HTTP on that port, and live events (with their ids) on
# the event stream over TLS.
# usage: web_tls.sh AMBID AMBI_WEB
set -euo pipefail
ambid=${1:?AMBID}
web=${2:?AMBI_WEB}
dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$dir"/*.log; do echo "== $f"; tail -20 "$f"; done; exit 1; }

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" \
  2> "$dir/openssl.log" || fail "openssl could not make a certificate"
cat > "$dir/ambi-web.toml" <<TOML
listen = "127.0.0.1:0"
connect = "unix:$dir/ambid.sock"
tls_cert = "$dir/cert.pem"
tls_key = "$dir/key.pem"
TOML

# Its simulated sensors link into this test's folder ($XDG_RUNTIME_DIR), not the one other tests share.
XDG_RUNTIME_DIR="$dir" "$ambid" --simulate --data-dir "$dir/data" --listen "unix:$dir/ambid.sock" 2> "$dir/ambid.log" &
pids+=($!)
"$web" --config "$dir/ambi-web.toml" > "$dir/web.out" 2> "$dir/web.log" &
pids+=($!)
for _ in $(seq 200); do
  grep -q 'serving http' "$dir/web.out" 2>/dev/null && break
  sleep 0.1
done
url=$(grep -o 'https://[^ ]*/' "$dir/web.out" | head -1 || true)
[ -n "$url" ] || fail "ambi-web did not announce an https:// URL: $(cat "$dir/web.out")"
port=${url##*:}
port=${port%/}

# The page, with the certificate trusted (full verification: name and chain).
status=$(curl --silent --show-error --cacert "$dir/cert.pem" --max-time 20 \
  --output "$dir/index.html" --write-out '%{http_code}' "$url") || fail "curl over TLS failed"
[ "$status" = 200 ] || fail "GET / over TLS: HTTP $status"
grep -q '<main id="tiles"' "$dir/index.html" || fail "the page over TLS is not the live page"
echo "ok GET / over TLS, certificate verified"

# Not trusted: curl refuses the self-signed certificate (exit 60), so TLS really is in use.
code=0
curl --silent --max-time 20 --output /dev/null "$url" || code=$?
[ "$code" = 60 ] || fail "curl without the certificate: exit $code, want 60 (not verified)"
echo "ok an untrusted client is refused by certificate verification"

# Plain HTTP on the TLS port gets no page.
plain=$(curl --silent --max-time 10 --output /dev/null --write-out '%{http_code}' \
  "http://127.0.0.1:$port/" || true)
[ "$plain" != 200 ] || fail "plain HTTP on the TLS port served the page"
echo "ok plain HTTP on the TLS port gets no page (HTTP '$plain')"

# The event stream over TLS: live events with the daemon's sequence as their id.
curl --silent --no-buffer --cacert "$dir/cert.pem" --max-time 90 "${url}events" \
  > "$dir/events.txt" 2> "$dir/curl-events.log" &
stream=$!
pids+=($stream)
for _ in $(seq 900); do
  grep -q '^id: [0-9]' "$dir/events.txt" 2>/dev/null && grep -q '^data: {' "$dir/events.txt" && break
  kill -0 "$stream" 2>/dev/null || break
  sleep 0.1
done
grep -q '^id: [0-9]' "$dir/events.txt" || fail "no event with an id on the stream over TLS"
id=$(grep -m1 '^id: ' "$dir/events.txt" | cut -d' ' -f2)
grep -A1 "^id: $id\$" "$dir/events.txt" | grep -q "\"sequence\":\"$id\"" ||
  fail "event $id: its data does not carry sequence $id"
echo "ok live events over TLS (first id $id)"
kill -0 "${pids[1]}" || fail "ambi-web exited"
