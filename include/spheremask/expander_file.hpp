// Template expander weights files, SMTE v1 (DESIGN §3 "Template expander").
//
// Layout, little-endian:
//   magic "SMTE" (4) | version u16 = 1 | dtype u8 (0 = f32) | reserved u8 = 0 | m u32 | n u32 |
//   architecture name (32, ASCII, NUL-padded) | summary length u32 | training summary (UTF-8 JSON) |
//   W_s (2n×m) | W0 (2n×2n) | W1 (2n×2n) | W2 (2n×2n) | W3 (n×2n) | W4 (n×n)   (f32, row-major) |
//   checksum = SHA-256 of every byte above (32).
// The expander id is the SHA-256 of the whole file (checksum included); records store it.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spheremask/expander.hpp"
#include "spheremask/export.hpp"

namespace spheremask {

// The only architecture of v1: the published reference (DESIGN §3).
inline constexpr const char* kExpanderArch = "ironmask-te-v1";
inline constexpr size_t kExpanderArchBytes = 32;
inline constexpr size_t kExpanderMaxSummary = 1u << 20;

struct SPHEREMASK_API ExpanderWeights {
  uint32_t m = 0, n = 0;
  std::string arch = kExpanderArch;
  std::string summary = "{}";  // training summary, JSON text
  std::vector<float> ws;       // 2n×m, orthonormal columns
  std::vector<float> w0, w1, w2;  // 2n×2n
  std::vector<float> w3;       // n×2n
  std::vector<float> w4;       // n×n
};

// Throws Error{InvalidArgument} when m, n or any weight size is unusable.
SPHEREMASK_API void check_expander_shapes(const ExpanderWeights& w);

SPHEREMASK_API std::vector<uint8_t> serialize_expander(const ExpanderWeights& w);
// Validates everything (magic, version, dtype, dimensions, sizes vs. byte count, summary, checksum,
// finite weights, orthonormal W_s) and throws Error{InvalidRecord} naming the failing field.
SPHEREMASK_API ExpanderWeights parse_expander(std::span<const uint8_t> bytes);
// id (optional) receives the expander id of the file.
SPHEREMASK_API ExpanderWeights read_expander_file(const std::string& path, std::array<uint8_t, 32>* id = nullptr);
// Writes atomically; returns the expander id (SHA-256 of the file).
SPHEREMASK_API std::array<uint8_t, 32> save_expander(const std::string& path, const ExpanderWeights& w);

// A ready expander (CPU forward through OpenBLAS) for weights already validated; id = SHA-256 of
// serialize_expander(w).
SPHEREMASK_API std::shared_ptr<const Expander> make_expander(ExpanderWeights w);
// Reads and validates an SMTE file; throws Error{InvalidRecord | Io} naming what is wrong.
SPHEREMASK_API std::shared_ptr<const Expander> load_expander(const std::string& path);

// Published initialization: W_s = first m columns of Haar(2n), W0..W2 = Haar(2n), W3 = first n rows
// of Haar(2n), W4 = Haar(n), each from the ChaCha20 stream keyed by
// SHA-256("spheremask/v1/te-init/" ‖ name ‖ seed). Public, not secret.
SPHEREMASK_API ExpanderWeights init_expander(uint32_t m, uint32_t n, const std::array<uint8_t, 32>& seed);

}  // namespace spheremask
