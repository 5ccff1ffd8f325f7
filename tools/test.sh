#!/usr/bin/env bash
# Sets up a Debian 12 machine and passes the whole test suite:
#   1. installs the Debian packages (tools/setup-debian.sh),
#   2. builds and runs every test (ctest) with warnings as errors,
#   3. builds the core, tools and their tests again with AddressSanitizer + UBSan and runs them,
#   4. builds the daemon's tests and the end-to-end test with ThreadSanitizer and runs them,
#   5. builds the libFuzzer targets with clang-14 and runs each for a short time (label fuzz).
#   6. checks that every C++ source is formatted (tools/check-format.sh).
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

# ThreadSanitizer: only what runs threads (the daemon's libraries and tests, the end-to-end
# test); the core is single-threaded and benchmarks are not tests. Debian's gRPC, protobuf and
# sdbus-c++ are not instrumented: tools/tsan.supp silences reports from inside them only.
cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DAMBI_WERROR=ON -DAMBI_TSAN=ON -DAMBI_BUILD_BENCHMARKS=OFF
cmake --build build/tsan -j "$jobs" --target daemon/all tests/e2e/all
for dir in daemon tests/e2e; do
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tools/tsan.supp" \
    ctest --test-dir "build/tsan/$dir" --output-on-failure -j "$jobs" --timeout 900
done

# Fuzzing: clang-14 with libFuzzer, ASan and UBSan; only the fuzz targets are built, each runs
# AMBI_FUZZ_SECONDS (15 s) from its committed seed corpus (tests/fuzz/corpus/).
cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DAMBI_FUZZ=ON -DAMBI_BUILD_BENCHMARKS=OFF
cmake --build build/fuzz -j "$jobs" --target ambi_fuzz_targets
ctest --test-dir build/fuzz --output-on-failure -j "$jobs" -L fuzz

tools/check-format.sh
