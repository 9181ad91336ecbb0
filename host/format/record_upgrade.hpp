// v1 → v2 rewrite of a record. The v2 MAC is keyed by the record's MAC key, which only the codeword
// yields, so a record can be upgraded only right after a genuine probe released it (as password
// stores rehash on login); there is no offline upgrade.
#pragma once
#include "spheremask/detail/codeword.hpp"
#include "spheremask/record.hpp"

namespace spheremask::format {

// The same fields and P as the v1 record, as v2 (samples = 1, chunk digests, digest-tree root) with the
// MAC under the MAC key of codeword c. The caller has verified c against v1 (verifier and v1 MAC).
Record upgrade_to_v2(const Record& v1, const detail::Codeword& c);

}  // namespace spheremask::format
