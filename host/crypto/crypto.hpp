// Thin OpenSSL wrappers (CSPRNG, SHA-256, HMAC, HKDF, AES-256-GCM, constant-time compare).
// Every failure throws Error{Crypto} naming the operation.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace spheremask::crypto {

using Digest = std::array<uint8_t, 32>;

void random_bytes(uint8_t* out, size_t len);  // OS CSPRNG via RAND_bytes

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  Sha256& update(const void* data, size_t len);
  Sha256& update(std::span<const uint8_t> data) { return update(data.data(), data.size()); }
  Digest final();

 private:
  void* ctx_;
};

Digest sha256(std::span<const uint8_t> data);

class HmacSha256 {
 public:
  explicit HmacSha256(std::span<const uint8_t> key);
  ~HmacSha256();
  HmacSha256(const HmacSha256&) = delete;
  HmacSha256& operator=(const HmacSha256&) = delete;
  HmacSha256& update(const void* data, size_t len);
  Digest final();

 private:
  void* mac_;
  void* ctx_;
};

Digest hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data);
Digest hkdf_extract(std::span<const uint8_t> salt, std::span<const uint8_t> ikm);
// HKDF-Expand to 32 bytes (one block).
Digest hkdf_expand32(std::span<const uint8_t> prk, std::span<const uint8_t> info);

bool equal_ct(const uint8_t* a, const uint8_t* b, size_t len);

// AES-256-GCM with a 12-byte nonce and 16-byte tag.
std::vector<uint8_t> aes256gcm_encrypt(const uint8_t key[32], const uint8_t nonce[12],
                                       std::span<const uint8_t> aad, std::span<const uint8_t> plaintext,
                                       uint8_t tag[16]);
// Returns false when authentication fails (nothing is returned then).
bool aes256gcm_decrypt(const uint8_t key[32], const uint8_t nonce[12], std::span<const uint8_t> aad,
                       std::span<const uint8_t> ciphertext, const uint8_t tag[16], std::vector<uint8_t>& out);

}  // namespace spheremask::crypto
