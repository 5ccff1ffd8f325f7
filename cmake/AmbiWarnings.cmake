# Warnings for every ambi target; -Werror is turned on in CI (AMBI_WERROR=ON).
function(ambi_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor)
  if(AMBI_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# A test binary per library, discovered by ctest. LABEL (default unit) and TIMEOUT (seconds)
# apply to each discovered test.
function(ambi_add_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  set(test_properties LABELS ${ARG_LABEL})
  if(ARG_TIMEOUT)
    list(APPEND test_properties TIMEOUT ${ARG_TIMEOUT})
  endif()
  add_executable(${name} ${ARG_SOURCES})
  ambi_target_defaults(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock_main)
  target_compile_definitions(${name} PRIVATE
    AMBI_SHARED_DATA_DIR="${AMBI_SHARED_DATA_DIR}"
    AMBI_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES ${test_properties})
endfunction()
