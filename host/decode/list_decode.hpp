// Codeword matching for verification and identification: the nearest codeword (DESIGN §3 decode) or, with
// EngineOptions::list_decoding, the codewords best first down to cos(max_angle_deg) (spheremask/engine.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "spheremask/detail/codeword.hpp"
#include "spheremask/engine.hpp"

namespace spheremask::internal {

// Largest allowed ListDecoding::max_candidates and angle; validate_list_decoding throws
// Error{InvalidArgument} naming the field for anything else.
constexpr uint32_t kMaxListCandidates = 1u << 20;
constexpr double kMaxListAngleDeg = 80.0;
void validate_list_decoding(const ListDecoding& o);

// Enumerates the codewords of C(n, α) whose signs are those of y in decreasing ⟨c', y⟩: the nearest codeword
// first (exactly decode_codeword's), then every one with ⟨c', y⟩ ≥ cos(max_angle_deg), at most max_candidates
// in all. The α-subsets of the coordinates sorted by (|y_i| desc, i asc) are walked by a best-first search in
// which each subset has one parent (move the lowest moved element one place right, or fix it and start moving
// the next lower one), so each is visited once and a heap of at most 2·max_candidates entries suffices.
// One per thread: it keeps its buffers between calls and wipes them after each.
class ListDecoder {
 public:
  explicit ListDecoder(const ListDecoding& options);
  ~ListDecoder();
  ListDecoder(const ListDecoder&) = delete;
  ListDecoder& operator=(const ListDecoder&) = delete;

  // visit(c) for each candidate in order; returns the number visited (0 when y has a non-finite entry).
  size_t enumerate(const float* y, uint32_t n, uint32_t alpha, const std::function<void(const detail::Codeword&)>& visit);

 private:
  struct State {
    double sum;        // Σ |y| over the subset (the score times √α)
    uint32_t element;  // the element being moved (elements below it sit at their first places)
    uint32_t place;    // its place in the sorted order
    uint32_t limit;    // the place of the element above it (n for the top one)
    int32_t fixed;     // node of the elements above it, -1 for none
  };
  struct FixedNode {
    uint32_t place;
    int32_t next;
  };
  void wipe();

  ListDecoding options_;
  std::vector<uint32_t> order_;
  std::vector<double> magnitude_;
  std::vector<State> heap_;
  std::vector<FixedNode> nodes_;
};

// y (n floats, y = P·t') against one record: true when a tried codeword's verifier matches (then *matched
// holds it). decoder == nullptr: the nearest codeword only. Every candidate is hashed and compared in
// constant time, a match does not stop the walk.
bool match_verifier(const float* y, uint32_t n, uint32_t alpha, const uint8_t salt[16], const uint8_t* verifier,
                    ListDecoder* decoder, detail::Codeword* matched);

}  // namespace spheremask::internal
