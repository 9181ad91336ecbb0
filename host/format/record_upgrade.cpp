#include "format/record_upgrade.hpp"

#include "crypto/keyflow.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::format {

Record upgrade_to_v2(const Record& v1, const detail::Codeword& c) {
  if (v1.version != kRecordVersion1)
    throw Error(ErrorCode::InvalidArgument, "only a v1 record is upgraded (version " + std::to_string(v1.version) + ")");
  Record r = v1;
  r.version = kRecordVersion2;
  r.hash_alg = kHashDigestTree;
  r.samples = 1;  // v1 records are single-sample
  r.update_digests();
  auto key = keyflow::mac_key(r.salt.data(), c);
  r.mac = keyflow::record_mac(key, r);
  secure_zero(key.data(), key.size());
  return r;
}

}  // namespace spheremask::format
