// Why the loader refused a plugin. The codes are stable so `plugins list` and tests can match on
// them; the message carries the specifics (path, versions, dlerror text) and the remedy.
#pragma once

#include <string>

namespace concourse::core::plugin {

enum class RefusalReason {
  NotElf,              // not an ELF object at all
  WrongArch,           // ELF, but 32-bit or another machine
  MissingEntry,        // no concourse_plugin_entry symbol
  DlopenFailed,        // the dynamic loader said no (undefined symbol, missing dependency)
  EntryReturnedNull,   // the entry reported an error
  EntryThrew,          // a C++ exception escaped the entry
  EntryCrashed,        // the entry killed the verify child (signal or hang)
  DescriptorTooSmall,  // struct_size below the 1.0 descriptor
  AbiMajorMismatch,
  AbiMinorTooNew,
  UnknownKind,
  BadVtable,  // missing, too small, or a required slot is NULL
  InvalidName,
  InvalidVersion,
  Duplicate,  // same kind, name and version already loaded
};

const char* to_string(RefusalReason r) noexcept;
// Inverse of to_string; EntryCrashed for anything unknown (a verifier that died mid-answer).
RefusalReason refusal_from_string(const std::string& s) noexcept;

struct Refusal {
  std::string path;
  RefusalReason reason;
  std::string message;
};

}  // namespace concourse::core::plugin
