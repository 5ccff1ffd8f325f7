# Every external package of the build is found here, and only here.
#
# The core (fusion/, the simulator library in daemon/sim, and the tools and tests that need no
# daemon) needs Eigen, CLI11 and GoogleTest only: configure with -DAMBI_BUILD_DAEMON=OFF to build
# and test it alone. Everything else serves the daemon, its wire format (protobuf, gRPC) and the
# clients.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(CLI11 CONFIG REQUIRED)
find_package(GTest REQUIRED)
if(AMBI_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

if(AMBI_BUILD_DAEMON)
  find_package(Protobuf REQUIRED)
  find_package(gRPC CONFIG REQUIRED)
  find_package(Boost 1.74 REQUIRED)
  find_package(sdbus-c++ REQUIRED)
  find_package(spdlog REQUIRED)
  find_package(nlohmann_json 3 REQUIRED)
  find_package(tomlplusplus REQUIRED)
  find_package(OpenSSL REQUIRED)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
  pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
  # The central history (daemon/central, and ambictl --store postgresql://): libpqxx 6.4.5 on
  # Debian 12, which brings libpq.
  pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx>=6.4)
endif()
