#!/usr/bin/env bash
# Installs every Debian 12 package ambi needs to build, test and run. Safe to run again.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config clang-format ccache
  libeigen3-dev libboost-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc grpc-proto
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libsqlite3-dev
  libsdbus-c++-dev libsystemd-dev
  python3-grpcio python3-dbusmock python3-numpy dbus-daemon
  clang-14 libclang-rt-14-dev systemd
  libssl-dev openssl curl chromium nodejs
  dpkg-dev file
  libpqxx-dev postgresql
)
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends "${packages[@]}"
# npm drives the browser tests (playwright-core). A nodejs from another repository may bundle
# its own npm and conflict with Debian's package: install it only when there is none.
if ! command -v npm > /dev/null; then
  $sudo apt-get install -y --no-install-recommends npm
fi
