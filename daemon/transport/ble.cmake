# Bluetooth LE transport: BlueZ over the system D-Bus (sdbus-c++). Included by CMakeLists.txt.
add_library(ambi_ble STATIC
  ble_bluez_names.cc
  ble_bus.cc
  ble_discovery_claims.cc
  ble_link.cc
  ble_source.cc
  ble_source_config.cc
  ble_witmotion_commands.cc
)
target_link_libraries(ambi_ble
  PUBLIC Boost::headers ambi_transport
  PRIVATE SDBusCpp::sdbus-c++ spdlog::spdlog)
target_include_directories(ambi_ble PUBLIC ${PROJECT_SOURCE_DIR})
ambi_target_defaults(ambi_ble)

ambi_add_test(ble_source_test
  SOURCES ble_bluez_names_test.cc ble_discovery_claims_test.cc ble_link_test.cc
          ble_source_test.cc ble_witmotion_commands_test.cc
  LIBS ambi_ble)
