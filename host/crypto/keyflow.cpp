#include "crypto/keyflow.hpp"

#include <openssl/crypto.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "crypto/sha256_lanes.hpp"
#include "spheremask/detail/bytes.hpp"

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

void verifiers(const uint8_t salt[16], std::span<const detail::Codeword> codewords, crypto::Digest* out) {
  std::vector<EncodedCodeword> encoded;
  encoded.reserve(codewords.size());
  std::vector<crypto::Sha256Job> jobs(codewords.size());
  for (size_t i = 0; i < codewords.size(); ++i) {
    encoded.emplace_back(codewords[i]);
    jobs[i].parts = {text("spheremask/v1/verifier"), std::span<const uint8_t>(salt, 16), encoded.back().span()};
  }
  crypto::sha256_many(jobs, out);
}

bool verifier_matches(const uint8_t salt[16], const detail::Codeword& c, const uint8_t* expected) {
  const auto v = verifier(salt, c);
  return crypto::equal_ct(v.data(), expected, 32);
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

namespace {
constexpr std::string_view kV2MacLabel = "spheremask/v2/mac";
}  // namespace

crypto::Digest record_mac(const crypto::Digest& key, const Record& r) {
  crypto::Digest out;
  const Record* one = &r;
  record_macs(&key, &one, 1, &out);
  return out;
}

void record_macs(const crypto::Digest* keys, const Record* const* records, size_t count, crypto::Digest* out) {
  // v1: the header and P; v2: the label and the root (the checksum, 32 bytes).
  std::vector<std::vector<uint8_t>> first(count);
  std::vector<crypto::Digest> roots(count);
  std::vector<crypto::HmacJob> jobs(count);
  for (size_t i = 0; i < count; ++i) {
    const Record& r = *records[i];
    if (r.version == kRecordVersion1) {
      first[i] = r.header();
      jobs[i] = {keys[i].data(), first[i], r.p};
    } else {
      roots[i] = r.checksum();
      jobs[i] = {keys[i].data(), text(kV2MacLabel), roots[i]};
    }
  }
  crypto::hmac_sha256_many(jobs, out);
}

crypto::Digest deterministic_key(std::string_view label, const std::array<uint8_t, 32>& seed, uint64_t index) {
  uint8_t idx[8];
  detail::store_le64(idx, index);
  return crypto::Sha256()
      .update(text("spheremask/v1/det/"))
      .update(text(label))
      .update(seed.data(), seed.size())
      .update(idx, 8)
      .final();
}

}  // namespace spheremask::keyflow
