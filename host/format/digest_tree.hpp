// The SMHD v2 digest tree (DESIGN §4): one root over the header and the chunk digests of P, which is both
// the record's checksum and the input of its MAC.
#pragma once
#include <span>

#include "crypto/crypto.hpp"

namespace spheremask::format {

// SHA-256("spheremask/v2/root" ‖ header ‖ u64le(k) ‖ d₀ ‖ … ‖ d_{k−1})
crypto::Digest digest_tree_root(std::span<const uint8_t> header, std::span<const crypto::Digest> digests);

}  // namespace spheremask::format
