#!/usr/bin/env bash
# Sets up a Debian 12 machine and passes the whole test suite:
#   1. installs the Debian packages (tools/setup-debian.sh),
#   2. builds and runs every test (ctest) with warnings as errors,
#   3. builds the core, tools and their tests again with AddressSanitizer + UBSan and runs them,
#   4. builds the daemon's tests again with ThreadSanitizer and runs them (build/tsan,
#      tools/tsan.supp: reports inside Debian's uninstrumented gRPC/protobuf/absl only),
#   5. builds the libFuzzer targets with clang-14 and runs each for a short time (label fuzz),
#   6. checks that every C++ source is formatted (tools/check-format.sh).
# Labels: no_sanitizer (not under ASan or TSan), no_tsan (not under TSan; the test says why).
# Set AMBI_SKIP_SETUP=1 to skip step 1 on a machine that already has the packages, AMBI_SKIP_TSAN=1
# to skip step 4.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${AMBI_JOBS:-2}

if [ "${AMBI_SKIP_SETUP:-0}" != 1 ]; then tools/setup-debian.sh; fi

# ccache (installed by setup-debian.sh) makes a second run on the same machine cheap; paths are
# taken relative to the checkout so that clones in other folders share the cache.
launcher=()
if command -v ccache > /dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="$PWD"
  # -g puts the build folder into the objects; leaving it out of the hash lets clones share.
  export CCACHE_NOHASHDIR=1
fi

cmake -S . -B build/release -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAMBI_WERROR=ON
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs" --timeout 600

# -O1 keeps the sanitizer run several times faster than -O0 and keeps assertions on. Only what
# these tests need is built: the core, the wire format, the daemon and the tools, and the tests
# that cross them (goldens, accuracy, coaching, the daemon end to end, BLE end to end).
cmake -S . -B build/asan -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DAMBI_WERROR=ON -DAMBI_SANITIZE=ON \
  -DAMBI_BUILD_BENCHMARKS=OFF
asan_dirs=(fusion proto daemon tools tests/golden tests/accuracy tests/coaching tests/e2e tests/ble)
cmake --build build/asan -j "$jobs" --target "${asan_dirs[@]/%//all}"
for dir in "${asan_dirs[@]}"; do
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions="$PWD/tools/lsan.supp" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "build/asan/$dir" --output-on-failure -j "$jobs" --timeout 900 -LE no_sanitizer
done

# ThreadSanitizer (one runtime, so a build of its own): the daemon's threads are where races
# live (the io thread, gRPC's threads, the accept and probe threads, the store's writer). Only
# daemon/all is built: TSan makes every test 5-15x slower and the e2e tests play sets in real
# time. halt_on_error: the first race fails the test.
if [ "${AMBI_SKIP_TSAN:-0}" != 1 ]; then
cmake -S . -B build/tsan -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
  -DAMBI_WERROR=ON -DAMBI_TSAN=ON -DAMBI_BUILD_BENCHMARKS=OFF
tsan_dirs=(daemon)
cmake --build build/tsan -j "$jobs" --target "${tsan_dirs[@]/%//all}"
for dir in "${tsan_dirs[@]}"; do
  TSAN_OPTIONS="suppressions=$PWD/tools/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
    ctest --test-dir "build/tsan/$dir" --output-on-failure -j "$jobs" --timeout 900 \
    -LE 'no_sanitizer|no_tsan'
done
fi

# Fuzzing: clang-14 with libFuzzer, ASan and UBSan; only the fuzz targets are built, each runs
# AMBI_FUZZ_SECONDS (15 s) from its committed seed corpus (tests/fuzz/corpus/).
cmake -S . -B build/fuzz -G Ninja "${launcher[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 \
  -DAMBI_FUZZ=ON -DAMBI_BUILD_BENCHMARKS=OFF
cmake --build build/fuzz -j "$jobs" --target ambi_fuzz_targets
ctest --test-dir build/fuzz --output-on-failure -j "$jobs" -L fuzz

tools/check-format.sh
