#include "format/pending_checksum.hpp"

#include "format/digest_tree.hpp"

namespace spheremask::format {

bool pending_root_holds(const Record& r, std::span<const crypto::Digest> digests) {
  if (!r.checksum_pending() || digests.size() != r.chunk_count()) return false;
  const auto root = digest_tree_root(r.header(), digests);
  return crypto::equal_ct(root.data(), r.pending_checksum().data(), 32);
}

Record settled_without_p(const Record& r, std::vector<crypto::Digest> digests) {
  Record s;
  s.version = r.version;
  s.flags = r.flags;
  s.m = r.m;
  s.n = r.n;
  s.alpha = r.alpha;
  s.dtype = r.dtype;
  s.hash_alg = r.hash_alg;
  s.samples = r.samples;
  s.expander_id = r.expander_id;
  s.app_id = r.app_id;
  s.salt = r.salt;
  s.verifier = r.verifier;
  s.mac = r.mac;
  s.p_digests = std::move(digests);
  return s;
}

}  // namespace spheremask::format
