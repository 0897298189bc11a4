# containerd's API stubs, generated at build time from the .proto files Debian's
# golang-github-containerd-containerd-dev installs (never copied into the repository).
# Two fixes are applied to copies in the build tree (see runtime-feasibility.md §4):
#   "import weak" crashes protoc's C++ generator -> plain "import";
#   "repeated string requires" is a C++20 keyword -> renamed (same field number, same wire format).
# protobuf_generate() gets output paths wrong for protos outside the source tree, hence the
# explicit custom command.
set(CD_GOCODE /usr/share/gocode/src/github.com CACHE PATH "Debian's Go sources (containerd protos)")
set(CD_PROTOS
  containerd/containerd/api/types/mount.proto
  containerd/containerd/api/types/metrics.proto
  containerd/containerd/api/types/descriptor.proto
  containerd/containerd/api/types/task/task.proto
  containerd/containerd/api/services/containers/v1/containers.proto
  containerd/containerd/api/services/tasks/v1/tasks.proto
  containerd/containerd/api/services/events/v1/events.proto
  containerd/containerd/api/services/version/v1/version.proto
  containerd/containerd/api/events/task.proto
  containerd/containerd/runtime/v2/runc/options/oci.proto
  containerd/containerd/protobuf/plugin/fieldpath.proto
  gogo/protobuf/gogoproto/gogo.proto)

set(CD_PROTO_ROOT ${CMAKE_CURRENT_BINARY_DIR}/protos)
set(CD_GEN ${CMAKE_CURRENT_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${CD_GEN})
set(CD_OUT "")
set(CD_IMPORTS "")
foreach(p ${CD_PROTOS})
  # Imports are spelled github.com/..., except gogo.proto which is imported as gogoproto/gogo.proto.
  if(p STREQUAL "gogo/protobuf/gogoproto/gogo.proto")
    set(rel gogoproto/gogo.proto)
  else()
    set(rel github.com/${p})
  endif()
  file(READ ${CD_GOCODE}/${p} text)
  string(REPLACE "import weak " "import " text "${text}")
  string(REPLACE "repeated string requires = 3;" "repeated string requires_plugins = 3;" text "${text}")
  # Only rewrite when changed, so a re-configure does not regenerate everything.
  set(dst ${CD_PROTO_ROOT}/${rel})
  set(old "")
  if(EXISTS ${dst})
    file(READ ${dst} old)
  endif()
  if(NOT old STREQUAL text)
    file(WRITE ${dst} "${text}")
  endif()
  list(APPEND CD_IMPORTS ${rel})
  string(REGEX REPLACE "\\.proto$" "" base ${rel})
  list(APPEND CD_OUT ${CD_GEN}/${base}.pb.cc ${CD_GEN}/${base}.pb.h
                     ${CD_GEN}/${base}.grpc.pb.cc ${CD_GEN}/${base}.grpc.pb.h)
  list(APPEND CD_SRCS ${dst})
endforeach()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CD_GOCODE}/containerd/containerd/api/services/tasks/v1/tasks.proto)

add_custom_command(OUTPUT ${CD_OUT}
  COMMAND protobuf::protoc -I${CD_PROTO_ROOT} -I${Protobuf_INCLUDE_DIRS}
          --cpp_out=${CD_GEN} --grpc_out=${CD_GEN}
          --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${CD_IMPORTS}
  WORKING_DIRECTORY ${CD_PROTO_ROOT}
  DEPENDS ${CD_SRCS} protobuf::protoc gRPC::grpc_cpp_plugin
  COMMENT "Generating containerd gRPC stubs from Debian's protos"
  VERBATIM)
add_library(containerd_api STATIC ${CD_OUT})
# Generated code: no -Werror, treated as system headers so our warnings skip it; built as C++17
# is not needed since the one keyword clash is fixed above.
target_include_directories(containerd_api SYSTEM PUBLIC ${CD_GEN})
target_link_libraries(containerd_api PUBLIC gRPC::grpc++ protobuf::libprotobuf)
set_target_properties(containerd_api PROPERTIES POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
target_compile_options(containerd_api PRIVATE -w -fno-gnu-unique)
