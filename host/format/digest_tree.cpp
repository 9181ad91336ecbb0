#include "format/digest_tree.hpp"

#include <string_view>

#include "spheremask/detail/bytes.hpp"

namespace spheremask::format {

crypto::Digest digest_tree_root(std::span<const uint8_t> header, std::span<const crypto::Digest> digests) {
  constexpr std::string_view label = "spheremask/v2/root";
  uint8_t count[8];
  detail::store_le64(count, digests.size());
  crypto::Sha256 h;
  h.update(label.data(), label.size()).update(header).update(count, 8);
  if (!digests.empty()) h.update(digests.data(), digests.size() * sizeof(crypto::Digest));
  return h.final();
}

}  // namespace spheremask::format
