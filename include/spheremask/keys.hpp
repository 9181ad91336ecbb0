// Keys released by a successful verification, and sealing of payloads under them (AES-256-GCM).
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "spheremask/export.hpp"

namespace spheremask {

// 32 secret bytes, wiped when destroyed. Never print them.
class SPHEREMASK_API SecretKey {
 public:
  SecretKey() { bytes_.fill(0); }
  explicit SecretKey(std::span<const uint8_t, 32> b);
  SecretKey(const SecretKey& other) : bytes_(other.bytes_) {}
  SecretKey& operator=(const SecretKey& other);
  ~SecretKey();
  const std::array<uint8_t, 32>& bytes() const { return bytes_; }
  std::array<uint8_t, 32>& mutable_bytes() { return bytes_; }

 private:
  std::array<uint8_t, 32> bytes_;
};

// Sealed payload: "SMSL" u16 version=1, 12-byte nonce, ciphertext, 16-byte tag. `aad` is bound to
// the ciphertext (e.g. the record bytes), but not stored.
SPHEREMASK_API std::vector<uint8_t> seal(const SecretKey& key, std::span<const uint8_t> plaintext,
                          std::span<const uint8_t> aad = {});
// Throws Error{Crypto} when the key, aad or ciphertext is wrong; Error{InvalidRecord} when malformed.
SPHEREMASK_API std::vector<uint8_t> open_sealed(const SecretKey& key, std::span<const uint8_t> sealed,
                                 std::span<const uint8_t> aad = {});

// Zeroes memory in a way the compiler cannot drop.
SPHEREMASK_API void secure_zero(void* p, size_t len);

}  // namespace spheremask
