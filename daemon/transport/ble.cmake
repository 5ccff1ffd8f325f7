# Bluetooth LE transport. Included by CMakeLists.txt.
#
# The link's logic without I/O (the state machine, BlueZ names, discovery claims, the source's
# settings, the WitMotion BLE commands): no D-Bus, so it builds and is tested without sdbus-c++.
add_library(ambi_ble_link STATIC
  ble_bluez_names.cc
  ble_discovery_claims.cc
  ble_link.cc
  ble_source_config.cc
  ble_witmotion_commands.cc
)
target_link_libraries(ambi_ble_link PUBLIC ambi_transport)
target_include_directories(ambi_ble_link PUBLIC ${PROJECT_SOURCE_DIR})
ambi_target_defaults(ambi_ble_link)

ambi_add_test(ble_link_test
  SOURCES ble_bluez_names_test.cc ble_discovery_claims_test.cc ble_link_test.cc
          ble_witmotion_commands_test.cc
  LIBS ambi_ble_link)

# The sdbus-c++ glue: BlueZ over the system D-Bus (ble_bus), and the BleSource that turns its
# replies and signals into the link's events and carries out the link's actions.
add_library(ambi_ble STATIC
  ble_bus.cc
  ble_source.cc
)
target_link_libraries(ambi_ble
  PUBLIC ambi_ble_link ambi_transport
  PRIVATE SDBusCpp::sdbus-c++ spdlog::spdlog)
target_include_directories(ambi_ble PUBLIC ${PROJECT_SOURCE_DIR})
ambi_target_defaults(ambi_ble)

ambi_add_test(ble_source_test SOURCES ble_source_test.cc LIBS ambi_ble)
