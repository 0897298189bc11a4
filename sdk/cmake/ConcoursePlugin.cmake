# concourse_add_plugin(<name> SOURCES <src>... [LINK <libs>...] [OUTPUT_DIR <dir>])
#
# Builds a plugin the way the worker expects one:
#   - a MODULE library named <name>.so (no "lib" prefix),
#   - hidden visibility and a version script exporting only concourse_plugin_entry, so nothing
#     else leaks into the worker's symbol space,
#   - -Wl,-z,defs so a plugin that reaches for a symbol nobody provides fails to link instead of
#     failing to load (skipped under sanitizers, whose runtimes resolve late),
#   - -fno-gnu-unique for C++, because STB_GNU_UNIQUE symbols make a module impossible to unload.
function(concourse_add_plugin name)
  cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SOURCES;LINK" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE Concourse::sdk ${ARG_LINK})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(ARG_OUTPUT_DIR)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${ARG_OUTPUT_DIR})
  endif()
  set(_script ${CMAKE_CURRENT_BINARY_DIR}/${name}.exports.map)
  file(WRITE ${_script} "{\n  global: concourse_plugin_entry;\n  local: *;\n};\n")
  target_link_options(${name} PRIVATE "LINKER:--version-script=${_script}")
  if(NOT CONCOURSE_SANITIZE)
    target_link_options(${name} PRIVATE "LINKER:-z,defs")
  endif()
  target_compile_options(${name} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-fno-gnu-unique>)
endfunction()
