#include "spheremask/keys.hpp"

#include <openssl/crypto.h>

#include "crypto/crypto.hpp"
#include "spheremask/error.hpp"

namespace spheremask {

SecretKey::SecretKey(std::span<const uint8_t, 32> b) { std::copy(b.begin(), b.end(), bytes_.begin()); }
SecretKey& SecretKey::operator=(const SecretKey& other) {
  bytes_ = other.bytes_;
  return *this;
}
SecretKey::~SecretKey() { secure_zero(bytes_.data(), bytes_.size()); }

void secure_zero(void* p, size_t len) { OPENSSL_cleanse(p, len); }

namespace {
constexpr uint8_t kSealMagic[4] = {'S', 'M', 'S', 'L'};
constexpr size_t kSealHeader = 4 + 2 + 12;
constexpr size_t kTag = 16;
}  // namespace

std::vector<uint8_t> seal(const SecretKey& key, std::span<const uint8_t> plaintext, std::span<const uint8_t> aad) {
  std::vector<uint8_t> out(kSealHeader);
  std::copy(kSealMagic, kSealMagic + 4, out.begin());
  out[4] = 1;
  out[5] = 0;
  crypto::random_bytes(out.data() + 6, 12);  // fresh nonce: a key may seal several payloads
  uint8_t tag[kTag];
  auto ct = crypto::aes256gcm_encrypt(key.bytes().data(), out.data() + 6, aad, plaintext, tag);
  out.insert(out.end(), ct.begin(), ct.end());
  out.insert(out.end(), tag, tag + kTag);
  return out;
}

std::vector<uint8_t> open_sealed(const SecretKey& key, std::span<const uint8_t> sealed, std::span<const uint8_t> aad) {
  if (sealed.size() < kSealHeader + kTag)
    throw Error(ErrorCode::InvalidRecord, "sealed payload: truncated (" + std::to_string(sealed.size()) + " bytes)");
  if (!std::equal(kSealMagic, kSealMagic + 4, sealed.begin()))
    throw Error(ErrorCode::InvalidRecord, "sealed payload: bad magic (expected SMSL)");
  if (sealed[4] != 1 || sealed[5] != 0) throw Error(ErrorCode::InvalidRecord, "sealed payload: unsupported version");
  const auto body = sealed.subspan(kSealHeader, sealed.size() - kSealHeader - kTag);
  std::vector<uint8_t> out;
  if (!crypto::aes256gcm_decrypt(key.bytes().data(), sealed.data() + 6, aad, body,
                                 sealed.data() + sealed.size() - kTag, out))
    throw Error(ErrorCode::Crypto, "sealed payload: authentication failed (wrong key or modified data)");
  return out;
}

}  // namespace spheremask
