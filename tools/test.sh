#!/usr/bin/env bash
# Sets up a Debian 12 machine and passes the whole test suite:
#   1. installs the Debian packages (tools/setup-debian.sh),
#   2. builds and runs every test (ctest) with warnings as errors,
#   3. builds the core, tools and their tests again with AddressSanitizer + UBSan and runs them,
#   4. checks that every C++ source is formatted (tools/check-format.sh).
# Set AMBI_SKIP_SETUP=1 to skip step 1 on a machine that already has the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${AMBI_JOBS:-2}

if [ "${AMBI_SKIP_SETUP:-0}" != 1 ]; then tools/setup-debian.sh; fi

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMBI_WERROR=ON
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs" --timeout 600

# -O1 keeps the sanitizer run several times faster than -O0 and keeps assertions on.
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DAMBI_WERROR=ON -DAMBI_SANITIZE=ON \
  -DAMBI_BUILD_BENCHMARKS=OFF
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 900

tools/check-format.sh
