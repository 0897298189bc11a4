# Assembles one resource type's rootfs and packs it as a deterministic rootfs.tgz.
# Run as `cmake -D... -P BuildRootfs.cmake` from a custom command, so a rebuild of the binary
# re-packs the archive. Inputs: BINARY STAGING OUTPUT WITH_GIT WITH_ZONEINFO BUSYBOX GIT STRIP.
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE "${STAGING}")
foreach(d opt/resource tmp etc root dev proc sys)
  file(MAKE_DIRECTORY "${STAGING}/${d}")
endforeach()

file(COPY_FILE "${BINARY}" "${STAGING}/opt/resource/check")
if(STRIP)
  # Debug info stays in the build tree's binary; the image only needs the code.
  execute_process(COMMAND "${STRIP}" --strip-debug "${STAGING}/opt/resource/check")
endif()
file(CHMOD "${STAGING}/opt/resource/check" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
  GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
# One static binary dispatching on the name it is invoked as (argv[0]), like busybox.
file(CREATE_LINK check "${STAGING}/opt/resource/in" SYMBOLIC)
file(CREATE_LINK check "${STAGING}/opt/resource/out" SYMBOLIC)

# Git (and id lookups in general) want a passwd entry for the uid they run as.
file(WRITE "${STAGING}/etc/passwd" "root:x:0:0:root:/root:/bin/sh\n")
file(WRITE "${STAGING}/etc/group" "root:x:0:\n")
# Mount points houdini bind-mounts over.
file(WRITE "${STAGING}/etc/hosts" "")
file(WRITE "${STAGING}/etc/resolv.conf" "")

function(copy_resolved src dst)
  file(REAL_PATH "${src}" real)
  get_filename_component(dir "${dst}" DIRECTORY)
  file(MAKE_DIRECTORY "${dir}")
  file(COPY_FILE "${real}" "${dst}")
  file(CHMOD "${dst}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
    WORLD_READ WORLD_EXECUTE)
endfunction()

function(copy_git_core)
  set(core /usr/lib/git-core)
  file(GLOB entries RELATIVE ${core} ${core}/*)
  file(MAKE_DIRECTORY "${STAGING}${core}")
  foreach(e ${entries})
    set(p ${core}/${e})
    if(IS_SYMLINK ${p})
      file(READ_SYMLINK ${p} target)
      if(target STREQUAL "git")
        file(CREATE_LINK git "${STAGING}${p}" SYMBOLIC)
      endif()
    elseif(IS_DIRECTORY ${p})
      continue()
    elseif(e STREQUAL "git")
      file(CREATE_LINK ../../bin/git "${STAGING}${p}" SYMBOLIC)
    else()
      # Shell helpers (git-sh-setup, git-submodule, merge strategies) run under busybox sh;
      # other ELF programs (http, daemon) and perl scripts are not needed offline.
      file(READ ${p} head LIMIT 64)
      string(FIND "${head}" "perl" is_perl)
      file(READ ${p} magic LIMIT 4 HEX)
      if(NOT magic STREQUAL "7f454c46" AND is_perl EQUAL -1)
        file(COPY ${p} DESTINATION "${STAGING}${core}")
      endif()
    endif()
  endforeach()
endfunction()

function(copy_git)
  copy_resolved("${BUSYBOX}" "${STAGING}/bin/busybox")
  file(CREATE_LINK busybox "${STAGING}/bin/sh" SYMBOLIC)
  copy_resolved("${GIT}" "${STAGING}/usr/bin/git")
  copy_git_core()
  if(EXISTS /usr/share/git-core/templates)
    file(COPY /usr/share/git-core/templates DESTINATION "${STAGING}/usr/share/git-core")
  endif()
  execute_process(COMMAND ldd "${GIT}" OUTPUT_VARIABLE ldd_out RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "ldd ${GIT} failed")
  endif()
  string(REGEX MATCHALL "(=> )?/[^ \t\n]+ \\(" libs "${ldd_out}")
  foreach(l ${libs})
    string(REGEX REPLACE "^(=> )?(/[^ ]+) \\($" "\\2" lib "${l}")
    copy_resolved("${lib}" "${STAGING}${lib}")
    if(lib MATCHES "/libc\\.so")
      get_filename_component(libdir "${lib}" DIRECTORY)
    endif()
  endforeach()
  # glibc dlopens libgcc_s for thread exit/cancellation (git's threaded index-pack); ldd
  # cannot see that.
  if(libdir AND EXISTS "${libdir}/libgcc_s.so.1")
    copy_resolved("${libdir}/libgcc_s.so.1" "${STAGING}${libdir}/libgcc_s.so.1")
  endif()
  # What the real images configure globally: an identity for rebase/merge/commit, and trust
  # for volumes owned by other uids.
  file(WRITE "${STAGING}/etc/gitconfig"
    "[user]\n\tname = git\n\temail = git@localhost\n[safe]\n\tdirectory = *\n")
endfunction()

if(WITH_GIT)
  copy_git()
endif()
if(WITH_ZONEINFO)
  file(COPY /usr/share/zoneinfo DESTINATION "${STAGING}/usr/share"
    PATTERN posix EXCLUDE PATTERN right EXCLUDE PATTERN localtime EXCLUDE)
endif()

execute_process(COMMAND chmod 1777 "${STAGING}/tmp")
execute_process(
  COMMAND tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - -C "${STAGING}" .
  COMMAND gzip -n -9
  OUTPUT_FILE "${OUTPUT}.tmp"
  RESULTS_VARIABLE rcs)
foreach(rc ${rcs})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packing ${OUTPUT} failed: ${rcs}")
  endif()
endforeach()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
