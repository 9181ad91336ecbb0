// C API: sealing payloads under a released key (spheremask::seal / open_sealed).
#include <cstring>
#include <span>

#include "capi/c_api_handles.hpp"
#include "spheremask/keys.hpp"

using namespace spheremask;
using capi::guarded;
using capi::require;

namespace {

SecretKey key_from(const uint8_t* key) {
  require(key, "key");
  return SecretKey(std::span<const uint8_t, 32>(key, 32));
}

std::span<const uint8_t> bytes_arg(const uint8_t* p, size_t len, const char* name) {
  if (len > 0) require(p, name);
  return {p, len};
}

}  // namespace

extern "C" {

sm_status sm_seal(const uint8_t key[SM_KEY_BYTES], const uint8_t* plaintext, size_t plaintext_len, const uint8_t* aad,
                  size_t aad_len, uint8_t* out, size_t cap, size_t* out_len) {
  return guarded([&] {
    require(out_len, "out_len");
    *out_len = plaintext_len + SM_SEAL_OVERHEAD;
    capi::require_capacity(*out_len, cap, out, "the sealed payload");  // checked before any work
    const SecretKey k = key_from(key);
    const auto sealed =
        seal(k, bytes_arg(plaintext, plaintext_len, "plaintext"), bytes_arg(aad, aad_len, "aad"));
    if (sealed.size() != *out_len) throw capi::StatusError(SM_ERR_INTERNAL, "SM_SEAL_OVERHEAD is out of date");
    std::memcpy(out, sealed.data(), sealed.size());
  });
}

sm_status sm_open_sealed(const uint8_t key[SM_KEY_BYTES], const uint8_t* sealed, size_t sealed_len,
                         const uint8_t* aad, size_t aad_len, uint8_t* out, size_t cap, size_t* out_len) {
  return guarded([&] {
    require(out_len, "out_len");
    *out_len = 0;
    const SecretKey k = key_from(key);
    std::vector<uint8_t> plain = open_sealed(k, bytes_arg(sealed, sealed_len, "sealed"), bytes_arg(aad, aad_len, "aad"));
    *out_len = plain.size();
    const bool fits = out != nullptr && cap >= plain.size();
    if (fits) std::memcpy(out, plain.data(), plain.size());
    secure_zero(plain.data(), plain.size());  // plaintext is secret: leave no copy behind
    if (!fits) capi::require_capacity(*out_len, cap, out, "the plaintext");
  });
}

}  // extern "C"
