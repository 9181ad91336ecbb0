// Recomputes the checksum of a serialized SMHD v2 record after a test edited it (an attacker can do
// this): the digest-tree root over the 136-byte header and the 16 KiB chunks of P, hashed here with
// plain OpenSSL, independently of the library's lane code.
#pragma once
#include <algorithm>
#include <cstring>
#include <vector>

#include "crypto/crypto.hpp"
#include "format/digest_tree.hpp"
#include "spheremask/record.hpp"

namespace spheremask::testing {

inline crypto::Digest v2_root_of(const std::vector<uint8_t>& b) {
  const size_t body = b.size() - kRecordTrailerSize;
  std::vector<crypto::Digest> d;
  for (size_t off = kRecordHeaderSizeV2; off < body; off += kRecordChunkBytes)
    d.push_back(crypto::sha256({b.data() + off, std::min(kRecordChunkBytes, body - off)}));
  return format::digest_tree_root({b.data(), kRecordHeaderSizeV2}, d);
}

inline void reseal_v2(std::vector<uint8_t>& b) {
  const auto sum = v2_root_of(b);
  std::memcpy(b.data() + b.size() - kRecordTrailerSize, sum.data(), 32);
}

}  // namespace spheremask::testing
