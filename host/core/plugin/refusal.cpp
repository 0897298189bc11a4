#include "core/plugin/refusal.hpp"

namespace concourse::core::plugin {

const char* to_string(RefusalReason r) noexcept {
  switch (r) {
    case RefusalReason::NotElf:
      return "not-elf";
    case RefusalReason::WrongArch:
      return "wrong-arch";
    case RefusalReason::MissingEntry:
      return "missing-entry";
    case RefusalReason::DlopenFailed:
      return "dlopen-failed";
    case RefusalReason::EntryReturnedNull:
      return "entry-returned-null";
    case RefusalReason::EntryThrew:
      return "entry-threw";
    case RefusalReason::EntryCrashed:
      return "entry-crashed";
    case RefusalReason::DescriptorTooSmall:
      return "descriptor-too-small";
    case RefusalReason::AbiMajorMismatch:
      return "abi-major-mismatch";
    case RefusalReason::AbiMinorTooNew:
      return "abi-minor-too-new";
    case RefusalReason::UnknownKind:
      return "unknown-kind";
    case RefusalReason::BadVtable:
      return "bad-vtable";
    case RefusalReason::InvalidName:
      return "invalid-name";
    case RefusalReason::InvalidVersion:
      return "invalid-version";
    case RefusalReason::Duplicate:
      return "duplicate";
  }
  return "unknown";
}

RefusalReason refusal_from_string(const std::string& s) noexcept {
  for (int i = 0; i <= static_cast<int>(RefusalReason::Duplicate); ++i) {
    auto r = static_cast<RefusalReason>(i);
    if (s == to_string(r))
      return r;
  }
  return RefusalReason::EntryCrashed;
}

}  // namespace concourse::core::plugin
