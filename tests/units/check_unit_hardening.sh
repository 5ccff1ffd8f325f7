#!/usr/bin/env bash
# Every systemd unit the project ships (*.service anywhere in the tree) must rate an exposure of
# at most MAX (default 3.0) in `systemd-analyze security --offline=true`, which reads the unit
# file itself (systemd 252+: no running systemd, no installed unit, no existing User= needed).
# Exit 77 (skipped) where systemd-analyze is missing.
set -u
root=${1:?usage: check_unit_hardening.sh REPO_ROOT [MAX]}
max=${2:-3.0}
if ! command -v systemd-analyze >/dev/null; then
  echo "unit hardening: systemd-analyze not installed; skipped"
  exit 77
fi
mapfile -t units < <(cd "$root" && find . \( -name build -o -name node_modules -o -name .git \) -prune \
  -o -name '*.service' -type f -print | sort)
if [ ${#units[@]} -eq 0 ]; then
  echo "unit hardening: no *.service found under $root"
  exit 1
fi
status=0
for unit in "${units[@]}"; do
  out=$(cd "$root" && systemd-analyze security --offline=true --no-pager "$unit" 2>&1)
  level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
  if [ -z "$level" ]; then
    echo "unit hardening: $unit: systemd-analyze gave no exposure level:"
    printf '%s\n' "$out" | tail -5
    status=1
  elif awk -v l="$level" -v m="$max" 'BEGIN { exit !(l > m) }'; then
    echo "unit hardening: $unit: exposure $level is above $max; open items:"
    printf '%s\n' "$out" | grep '✗' | sed 's/^/  /'
    status=1
  else
    echo "unit hardening: $unit: exposure $level (at most $max)"
  fi
done
exit $status
