// C API: status codes, the thread-local last error, version and small utilities.
#include <cstdio>
#include <cstring>

#include "capi/c_api_handles.hpp"
#include "spheremask/keys.hpp"
#include "spheremask/params.hpp"

namespace spheremask::capi {

namespace {
// A fixed buffer: recording an error must not allocate (the error may be out-of-memory).
thread_local char t_last_error[1024] = "";
}  // namespace

void clear_error() noexcept { t_last_error[0] = '\0'; }

sm_status fail(sm_status status, const char* message) noexcept {
  std::snprintf(t_last_error, sizeof t_last_error, "%s: %s", sm_status_name(status), message ? message : "");
  return status;
}

// The C codes 1..10 are the C++ ErrorCode values, passed through unchanged.
static_assert(SM_ERR_INVALID_ARGUMENT == int(ErrorCode::InvalidArgument));
static_assert(SM_ERR_INVALID_RECORD == int(ErrorCode::InvalidRecord));
static_assert(SM_ERR_TAMPERED == int(ErrorCode::Tampered));
static_assert(SM_ERR_WEAK_PARAMETERS == int(ErrorCode::WeakParameters));
static_assert(SM_ERR_MISMATCH == int(ErrorCode::Mismatch));
static_assert(SM_ERR_CRYPTO == int(ErrorCode::Crypto));
static_assert(SM_ERR_IO == int(ErrorCode::Io));
static_assert(SM_ERR_BACKEND == int(ErrorCode::Backend));
static_assert(SM_ERR_UNAVAILABLE == int(ErrorCode::Unavailable));
static_assert(SM_ERR_STORE == int(ErrorCode::Store));
static_assert(SM_REJECT == int(Decision::Reject) && SM_ACCEPT == int(Decision::Accept) &&
              SM_TAMPERED == int(Decision::Tampered));

}  // namespace spheremask::capi

using namespace spheremask;

extern "C" {

const char* sm_last_error(void) { return capi::t_last_error; }

const char* sm_status_name(sm_status status) {
  switch (status) {
    case SM_OK: return "ok";
    case SM_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case SM_ERR_OUT_OF_MEMORY: return "out of memory";
    case SM_ERR_INTERNAL: return "internal error";
    default:
      if (status >= SM_ERR_INVALID_ARGUMENT && status <= SM_ERR_STORE)
        return error_code_name(static_cast<ErrorCode>(status));
      return "unknown status";
  }
}

uint32_t sm_version(void) { return SM_VERSION; }
const char* sm_version_string(void) { return SM_VERSION_STRING; }
int sm_abi_version(void) { return SM_ABI_VERSION; }

int sm_cuda_device_count(void) {
  int count = 0;
  if (capi::guarded([&] { count = cuda_device_count(); }) != SM_OK) return -1;  // sm_last_error() says why
  return count;
}

double sm_code_bits(uint32_t n, uint32_t alpha) {
  if (alpha > n) return 0.0;
  return code_bits(n, alpha);
}

void sm_wipe(void* p, size_t len) {
  if (p != nullptr && len > 0) secure_zero(p, len);
}

}  // extern "C"
