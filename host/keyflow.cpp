#include "keyflow.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <vector>

#include "sha256_lanes.hpp"

namespace spheremask::keyflow {
namespace {
std::span<const uint8_t> text(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
}  // namespace

EncodedCodeword::EncodedCodeword(const detail::Codeword& c) { size = detail::encode_codeword(c, bytes); }
EncodedCodeword::~EncodedCodeword() { OPENSSL_cleanse(bytes, sizeof bytes); }

crypto::Digest verifier(const uint8_t salt[16], const detail::Codeword& c) {
  EncodedCodeword enc(c);
  return crypto::Sha256().update(text("spheremask/v1/verifier")).update(salt, 16).update(enc.span()).final();
}

namespace {
crypto::Digest expand(const uint8_t salt[16], const detail::Codeword& c, std::string_view label,
                      std::string_view context) {
  EncodedCodeword enc(c);
  crypto::Digest prk = crypto::hkdf_extract({salt, 16}, enc.span());
  std::vector<uint8_t> info(label.begin(), label.end());
  info.insert(info.end(), context.begin(), context.end());
  crypto::Digest out = crypto::hkdf_expand32(prk, info);
  OPENSSL_cleanse(prk.data(), prk.size());
  return out;
}
}  // namespace

crypto::Digest derive_key(const uint8_t salt[16], const detail::Codeword& c, std::string_view context) {
  return expand(salt, c, "spheremask/v1/key", context);
}

crypto::Digest mac_key(const uint8_t salt[16], const detail::Codeword& c) {
  return expand(salt, c, "spheremask/v1/mac", {});
}

crypto::Digest record_mac(const crypto::Digest& key, const Record& r) {
  const auto header = r.header();
  return crypto::HmacSha256(key).update(header.data(), header.size()).update(r.p.data(), r.p.size()).final();
}

void record_macs(const crypto::Digest* keys, const Record* const* records, size_t count, crypto::Digest* out) {
  std::vector<std::array<uint8_t, kRecordHeaderSize>> headers(count);
  std::vector<crypto::HmacJob> jobs(count);
  for (size_t i = 0; i < count; ++i) {
    headers[i] = records[i]->header();
    jobs[i] = {keys[i].data(), headers[i], records[i]->p};
  }
  crypto::hmac_sha256_many(jobs, out);
}

crypto::Digest deterministic_key(std::string_view label, const std::array<uint8_t, 32>& seed, uint64_t index) {
  uint8_t idx[8];
  for (int i = 0; i < 8; ++i) idx[i] = uint8_t(index >> (8 * i));
  return crypto::Sha256()
      .update(text("spheremask/v1/det/"))
      .update(text(label))
      .update(seed.data(), seed.size())
      .update(idx, 8)
      .final();
}

}  // namespace spheremask::keyflow
