#!/usr/bin/env bash
# The architecture as a test: the numeric core (fusion/) is pure. It may use Eigen and the
# standard library only: no Asio, gRPC, protobuf, D-Bus, no clock reads, no threads, no I/O.
# And stages link downstream only. Around the core: the daemon ships what it runs (it never
# includes tools/ or clients/), and clients speak the wire format only (never daemon/ or fusion/).
set -u
root=${1:?usage: check_layering.sh REPO_ROOT}
cd "$root" || exit 2
status=0
fail() { echo "layering: $*"; status=1; }

forbidden_includes='#include *[<"](boost/|grpcpp|grpc\+\+|grpc/|google/protobuf|sdbus-c\+\+|sqlite3|toml\+\+|spdlog|CLI/|nlohmann|thread>|mutex>|fstream>|iostream>|ambi/v1/)'
hits=$(grep -rnE "$forbidden_includes" fusion --include='*.h' --include='*.cc' | grep -v '_test\.cc:')
[ -n "$hits" ] && fail "fusion/ includes something the core must not use:
$hits"

io_calls=$(grep -rnE '(^|[^n])printf\(|fopen|std::cout|std::cerr|std::clog' fusion --include='*.h' --include='*.cc' \
  | grep -v '_test\.cc:' | grep -vE '^[^:]+:[0-9]+: *//')
[ -n "$io_calls" ] && fail "fusion/ does I/O (events go to the sink; diagnostics are values):
$io_calls"

clock_reads=$(grep -rnE '(steady_clock|system_clock|high_resolution_clock)|[^a-z_]time\(|gettimeofday|clock_gettime' \
  fusion --include='*.h' --include='*.cc' | grep -v '_test\.cc:' | grep -vE '^[^:]+:[0-9]+: *//')
[ -n "$clock_reads" ] && fail "fusion/ reads a clock (time must arrive with the data):
$clock_reads"

eigen_in_api=$(grep -rlE '#include *<Eigen' fusion --include='*.h' | grep -v '/internal/')
[ -n "$eigen_in_api" ] && fail "Eigen in a public header of the core (keep it in .cc files):
$eigen_in_api"

# Downstream-only linking: a stage may include only stages below it.
check_stage() {  # stage, allowed include prefixes...
  local stage=$1; shift
  local allowed="fusion/$stage/|fusion/core/"
  for dep in "$@"; do allowed="$allowed|fusion/$dep/"; done
  local bad
  bad=$(grep -rnE '#include *"fusion/' "fusion/$stage" | grep -vE "#include *\"($allowed)")
  [ -n "$bad" ] && fail "fusion/$stage includes a stage it must not depend on:
$bad"
}
check_stage core
check_stage decode
check_stage clock
check_stage orientation
check_stage reps orientation
check_stage asymmetry
check_stage pipeline decode clock orientation reps asymmetry

# Folders that may not include one another, tests included (a test that needs a tool's code is
# a sign that the code belongs below the daemon). The exceptions: the core's tests may drive the
# simulator (daemon/sim/ model files need only the core and Eigen; see daemon/sim/) and use the
# test helpers that read reference files (tests/*/..._test_util.h: the core itself does no I/O).
check_folder() {  # folder, forbidden include prefixes (extended regex alternatives)
  local folder=$1 forbidden=$2 bad
  bad=$(grep -rnE "#include *\"($forbidden)" "$folder" --include='*.h' --include='*.cc' |
    grep -vE '^fusion/[^:]*_test\.cc:[0-9]+:#include "(daemon/sim/(session_spec|limb_simulator|device_byte_stream|presets|prng)|tests/[a-z_/]+_test_util)\.h"')
  [ -n "$bad" ] && fail "$folder/ includes a folder it must not depend on:
$bad"
}
check_folder fusion 'daemon/|tools/|clients/|proto/|tests/'
check_folder proto 'daemon/|tools/|clients/|tests/'
check_folder daemon 'tools/|clients/|tests/'
check_folder clients 'daemon/|fusion/|tools/|tests/'

# The BLE link's logic is a state machine without I/O (events in, actions out): no D-Bus, no Asio,
# no logging library, no threads, no clock reads. It is the ambi_ble_link library (ble.cmake),
# which does not link sdbus-c++; the sdbus-c++ glue (ble_bus, ble_source) is ambi_ble.
pure_ble=$(sed -n '/^add_library(ambi_ble_link/,/^)/s/^ *\(ble_[a-z_]*\)\.cc$/\1/p' daemon/transport/ble.cmake |
  sed 's|.*|daemon/transport/&.h daemon/transport/&.cc|')
[ -n "$pure_ble" ] || fail "daemon/transport/ble.cmake: no ambi_ble_link sources found"
sed -n '/^target_link_libraries(ambi_ble_link/,/)/p' daemon/transport/ble.cmake | grep -qi sdbus &&
  fail "ambi_ble_link links sdbus-c++ (the pure BLE logic must build without D-Bus)"
# shellcheck disable=SC2086
bad=$(grep -nE "$forbidden_includes|#include *\"daemon/transport/(asio|ble_bus|ble_source)\.h\"|::now\(" $pure_ble)
[ -n "$bad" ] && fail "the BLE state machines must do no I/O and read no clock:
$bad"

[ $status -eq 0 ] && echo "layering: fusion/ is pure and layered; daemon/, clients/ and tools/ keep their places"
exit $status
