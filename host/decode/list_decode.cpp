#include "decode/list_decode.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

#include "crypto/crypto.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/error.hpp"

namespace spheremask::internal {

void validate_list_decoding(const ListDecoding& o) {
  if (!(o.max_angle_deg >= 0 && o.max_angle_deg <= kMaxListAngleDeg))
    throw Error(ErrorCode::InvalidArgument, "ListDecoding.max_angle_deg: " + std::to_string(o.max_angle_deg) +
                                                " is outside [0, 80] (0 = off)");
  if (o.max_candidates < 1 || o.max_candidates > kMaxListCandidates)
    throw Error(ErrorCode::InvalidArgument, "ListDecoding.max_candidates: " + std::to_string(o.max_candidates) +
                                                " is outside [1, 1048576]");
}

ListDecoder::ListDecoder(const ListDecoding& options) : options_(options) { validate_list_decoding(options); }

ListDecoder::~ListDecoder() { wipe(); }

void ListDecoder::wipe() {
  // The sorted order and magnitudes are y's; the heap holds partial sums of it.
  if (!order_.empty()) secure_zero(order_.data(), order_.size() * sizeof(uint32_t));
  if (!magnitude_.empty()) secure_zero(magnitude_.data(), magnitude_.size() * sizeof(double));
  if (!heap_.empty()) secure_zero(heap_.data(), heap_.size() * sizeof(State));
  if (!nodes_.empty()) secure_zero(nodes_.data(), nodes_.size() * sizeof(FixedNode));
  heap_.clear();
  nodes_.clear();
}

size_t ListDecoder::enumerate(const float* y, uint32_t n, uint32_t alpha,
                              const std::function<void(const detail::Codeword&)>& visit) {
  for (uint32_t i = 0; i < n; ++i)
    if (!detail::finite_float(y[i])) return 0;
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), 0u);
  const auto magnitude_of = [&](uint32_t i) { return y[i] < 0 ? -y[i] : y[i]; };
  // decode_codeword's order, so the first subset is exactly the nearest codeword.
  std::sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
    return detail::ranks_before(magnitude_of(a), a, magnitude_of(b), b);
  });
  magnitude_.resize(n);
  for (uint32_t k = 0; k < n; ++k) magnitude_[k] = double(magnitude_of(order_[k]));

  detail::Codeword c;
  uint32_t places[detail::kMaxAlpha];
  const auto emit = [&](const State* s) {
    // Elements below the moving one at their first places, the moving one, then the fixed ones above.
    uint32_t count = 0;
    if (s == nullptr) {
      for (uint32_t e = 0; e < alpha; ++e) places[count++] = order_[e];
    } else {
      for (uint32_t e = 0; e < s->element; ++e) places[count++] = order_[e];
      places[count++] = order_[s->place];
      for (int32_t node = s->fixed; node >= 0; node = nodes_[size_t(node)].next)
        places[count++] = order_[nodes_[size_t(node)].place];
    }
    detail::codeword_from_indices(y, n, alpha, places, &c);
    visit(c);
  };

  emit(nullptr);
  size_t visited = 1;
  const double threshold = std::cos(options_.max_angle_deg * M_PI / 180.0) * std::sqrt(double(alpha));
  double top_sum = 0;
  for (uint32_t e = 0; e < alpha; ++e) top_sum += magnitude_[e];
  const auto by_sum = [](const State& a, const State& b) { return a.sum < b.sum; };  // max-heap on the sum
  heap_.clear();
  nodes_.clear();
  if (alpha < n && options_.max_candidates > 1)
    heap_.push_back({top_sum - magnitude_[alpha - 1] + magnitude_[alpha], alpha - 1, alpha, n, -1});
  while (!heap_.empty() && visited < options_.max_candidates) {
    std::pop_heap(heap_.begin(), heap_.end(), by_sum);
    const State s = heap_.back();
    heap_.pop_back();
    if (s.sum < threshold) break;  // every later subset scores less
    emit(&s);
    ++visited;
    if (s.place + 1 < s.limit) {
      heap_.push_back({s.sum - magnitude_[s.place] + magnitude_[s.place + 1], s.element, s.place + 1, s.limit, s.fixed});
      std::push_heap(heap_.begin(), heap_.end(), by_sum);
    }
    if (s.element > 0 && s.element < s.place) {
      nodes_.push_back({s.place, s.fixed});
      const uint32_t lower = s.element - 1;
      heap_.push_back({s.sum - magnitude_[lower] + magnitude_[s.element], lower, s.element, s.place,
                       int32_t(nodes_.size() - 1)});
      std::push_heap(heap_.begin(), heap_.end(), by_sum);
    }
  }
  c.wipe();
  secure_zero(places, sizeof places);
  wipe();
  return visited;
}

bool match_verifier(const float* y, uint32_t n, uint32_t alpha, const uint8_t salt[16], const uint8_t* verifier,
                    ListDecoder* decoder, detail::Codeword* matched) {
  if (decoder == nullptr) {
    detail::Codeword c;
    const bool ok = detail::decode_codeword(y, n, alpha, &c) && keyflow::verifier_matches(salt, c, verifier);
    if (ok) *matched = c;
    c.wipe();
    return ok;
  }
  // Candidates are hashed in batches on interleaved SHA-256 lanes, in place: no allocation per probe, and an
  // impostor's walk (the nearest codeword alone) is one plain hash.
  constexpr size_t kBatch = 32;
  std::array<detail::Codeword, kBatch> batch;
  std::array<crypto::Digest, kBatch> digests;
  size_t count = 0;
  bool any = false;
  const auto flush = [&] {
    if (count == 1)
      digests[0] = keyflow::verifier(salt, batch[0]);
    else
      keyflow::verifiers(salt, std::span<const detail::Codeword>(batch.data(), count), digests.data());
    for (size_t k = 0; k < count; ++k) {
      const bool hit = crypto::equal_ct(digests[k].data(), verifier, 32);
      if (hit && !any) *matched = batch[k];
      any = any || hit;
      batch[k].wipe();
    }
    count = 0;
  };
  decoder->enumerate(y, n, alpha, [&](const detail::Codeword& c) {
    batch[count++] = c;
    if (count == kBatch) flush();
  });
  if (count > 0) flush();
  secure_zero(digests.data(), sizeof digests);
  return any;
}

}  // namespace spheremask::internal
