// Settling the checksum of a record parsed with ParseOptions::defer_checksum, from the chunk digests of
// its P hashed where P was anyway (the device that verified it, or the host when the backend cannot).
#pragma once
#include <span>
#include <vector>

#include "crypto/crypto.hpp"
#include "spheremask/record.hpp"

namespace spheremask::format {

// The digest-tree root over r's header and these chunk digests of its P equals the root r carried.
bool pending_root_holds(const Record& r, std::span<const crypto::Digest> digests);

// r without P and with these (checked) digests: what the MAC check and key derivation read (header
// fields, salt, MAC, root). Not pending, so it can be used once the root held; P stays in r.
Record settled_without_p(const Record& r, std::vector<crypto::Digest> digests);

}  // namespace spheremask::format
