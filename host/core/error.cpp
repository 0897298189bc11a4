#include "error.hpp"

namespace concourse::core {

const char* status_name(int32_t code) noexcept {
  switch (code) {
    case CC_OK:
      return "ok";
    case CC_E_NOT_FOUND:
      return "not found";
    case CC_E_EXISTS:
      return "already exists";
    case CC_E_INVALID:
      return "invalid argument";
    case CC_E_UNSUPPORTED:
      return "not supported";
    case CC_E_BUFFER_TOO_SMALL:
      return "buffer too small";
    case CC_E_TIMEOUT:
      return "timed out";
    case CC_E_CANCELLED:
      return "cancelled";
    case CC_E_UNAVAILABLE:
      return "unavailable";
    case CC_E_TRY_AGAIN:
      return "try again";
    case CC_E_PERMISSION:
      return "permission denied";
    case CC_E_SKIP:
      return "skipped";
    case CC_E_INTERNAL:
      return "internal error";
    case CC_E_LIMIT:
      return "limit reached";
    case CC_E_CONFLICT:
      return "conflict";
    default:
      return code >= 1000 ? "plugin error" : "unknown error";
  }
}

int http_status_for(int32_t code) noexcept {
  switch (code) {
    case CC_OK:
      return 200;
    case CC_E_NOT_FOUND:
      return 404;
    case CC_E_EXISTS:
    case CC_E_CONFLICT:
      return 409;
    case CC_E_INVALID:
      return 400;
    case CC_E_UNSUPPORTED:
      return 501;
    case CC_E_PERMISSION:
      return 403;
    case CC_E_UNAVAILABLE:
    case CC_E_TRY_AGAIN:
      return 503;
    case CC_E_TIMEOUT:
      return 504;
    case CC_E_LIMIT:
      return 507;
    default:
      return 500;
  }
}

}  // namespace concourse::core
