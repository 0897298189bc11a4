include(GoogleTest)

# concourse_add_library(NAME SOURCES... [DEPS ...]) : a static library with our flags.
function(concourse_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS}
    concourse_warnings concourse_options)
  target_compile_features(${name} PUBLIC cxx_std_20)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# concourse_add_test(NAME SOURCES ... DEPS ... LABELS ...) : one gtest binary, tests discovered
# at build time so ctest -L filters work.
function(concourse_add_test name)
  # POSTGRES: the test uses TempPostgres::shared(), so it runs against the run's shared cluster.
  cmake_parse_arguments(ARG "POSTGRES" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
    concourse_warnings concourse_options)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  set(extra "")
  if(ARG_POSTGRES)
    set(extra FIXTURES_REQUIRED postgres ENVIRONMENT CONCOURSE_TEST_PG_DIR=${CONCOURSE_TEST_PG_DIR})
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT} ${extra})
endfunction()
