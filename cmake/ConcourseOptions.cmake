# Options and warnings live on two INTERFACE targets that every own target links PRIVATE,
# so third-party code never sees our -Werror (cmake_template's pattern).
option(CONCOURSE_WERROR "Treat warnings as errors on our targets" ON)
set(CONCOURSE_SANITIZE "" CACHE STRING "Sanitizers: address,undefined | thread | empty")

add_library(concourse_warnings INTERFACE)
target_compile_options(concourse_warnings INTERFACE
  -Wall -Wextra            # the baseline
  -Wpedantic               # non-standard extensions sneak into an ABI otherwise
  -Wshadow                 # shadowed locals hide bugs in long handlers
  -Wformat=2               # printf-style misuse in log and error helpers
  -Wimplicit-fallthrough   # switch cases over status codes must be explicit
  -Wcast-align             # struct_size-gated casts must stay aligned
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Woverloaded-virtual -Wold-style-cast>
  $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes -Wmissing-prototypes>
  $<$<BOOL:${CONCOURSE_WERROR}>:-Werror>)

add_library(concourse_options INTERFACE)
target_compile_features(concourse_options INTERFACE cxx_std_20)
if(CONCOURSE_SANITIZE)
  target_compile_options(concourse_options INTERFACE
    -fsanitize=${CONCOURSE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(concourse_options INTERFACE -fsanitize=${CONCOURSE_SANITIZE})
endif()
