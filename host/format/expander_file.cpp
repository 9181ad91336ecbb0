// SMTE v1 reading, writing, validation and the published initialization (layout in
// include/spheremask/expander_file.hpp). Weights stream through SHA-256 so that large files are
// never held twice.
#include "spheremask/expander_file.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "crypto/crypto.hpp"
#include "cpu/haar_cpu.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/error.hpp"
#include "expander/template_expander.hpp"
#include "util/finite.hpp"
#include "util/hex.hpp"

namespace spheremask {
namespace {

constexpr uint8_t kMagic[4] = {'S', 'M', 'T', 'E'};
constexpr uint16_t kVersion = 1;
constexpr size_t kFixedHeader = 4 + 2 + 1 + 1 + 4 + 4 + kExpanderArchBytes + 4;
constexpr uint32_t kMaxDim = 16384;
constexpr float kOrthonormalTolerance = 1e-3f;

[[noreturn]] void invalid(const std::string& field, const std::string& why) {
  throw Error(ErrorCode::InvalidRecord, "expander field '" + field + "': " + why);
}

struct Matrix {
  const char* name;
  std::vector<float>* data;
  uint64_t rows, cols;
};

std::array<Matrix, 6> matrices(ExpanderWeights& w) {
  const uint64_t n = w.n, d = 2 * uint64_t(w.n);
  return {{{"W_s", &w.ws, d, w.m}, {"W0", &w.w0, d, d}, {"W1", &w.w1, d, d}, {"W2", &w.w2, d, d},
           {"W3", &w.w3, n, d}, {"W4", &w.w4, n, n}}};
}

uint64_t weight_floats(uint64_t m, uint64_t n) { return 2 * n * m + 3 * (4 * n * n) + 2 * n * n + n * n; }

using detail::load_le16;
using detail::load_le32;
using detail::store_le16;
using detail::store_le32;

using Sink = std::function<void(const void*, size_t)>;

// Emits the file through sink; returns the id (SHA-256 of all bytes).
std::array<uint8_t, 32> write_expander(const ExpanderWeights& w, const Sink& sink) {
  check_expander_shapes(w);
  crypto::Sha256 body, file;
  auto emit = [&](const void* p, size_t len, bool hashed_body) {
    if (hashed_body) body.update(p, len);
    file.update(p, len);
    sink(p, len);
  };
  uint8_t h[kFixedHeader] = {};
  std::memcpy(h, kMagic, 4);
  store_le16(h + 4, kVersion);
  h[6] = 0;  // f32
  h[7] = 0;
  store_le32(h + 8, w.m);
  store_le32(h + 12, w.n);
  std::memcpy(h + 16, w.arch.data(), w.arch.size());
  store_le32(h + 16 + kExpanderArchBytes, uint32_t(w.summary.size()));
  emit(h, sizeof h, true);
  emit(w.summary.data(), w.summary.size(), true);
  auto& mw = const_cast<ExpanderWeights&>(w);  // matrices() only reads through the pointers here
  for (const Matrix& mat : matrices(mw)) emit(mat.data->data(), mat.data->size() * sizeof(float), true);
  const auto checksum = body.final();
  emit(checksum.data(), 32, false);
  return file.final();
}

// Reads the file sequentially from `read`, validating as it goes.
struct Parsed {
  ExpanderWeights w;
  std::array<uint8_t, 32> id;
};

Parsed parse_stream(uint64_t size, const std::function<void(void*, size_t)>& read) {
  crypto::Sha256 body, file;
  auto take = [&](void* dst, size_t len, bool hashed_body) {
    read(dst, len);
    if (hashed_body) body.update(dst, len);
    file.update(dst, len);
  };
  if (size < 4) invalid("magic", "truncated file (" + std::to_string(size) + " bytes)");
  uint8_t h[kFixedHeader];
  if (size < kFixedHeader) {
    take(h, 4, true);
    if (std::memcmp(h, kMagic, 4) != 0) invalid("magic", "not an SMTE file");
    invalid("header", "truncated file (" + std::to_string(size) + " bytes, the fixed header needs " +
                          std::to_string(kFixedHeader) + ")");
  }
  take(h, kFixedHeader, true);
  if (std::memcmp(h, kMagic, 4) != 0) invalid("magic", "not an SMTE file");
  const uint16_t version = load_le16(h + 4);
  if (version != kVersion) invalid("version", "unsupported version " + std::to_string(version) + " (this reader knows 1)");
  if (h[6] != 0) invalid("dtype", "unsupported weight type " + std::to_string(h[6]) + " (only 0 = f32)");
  if (h[7] != 0) invalid("reserved", "must be 0");
  Parsed out;
  ExpanderWeights& w = out.w;
  w.m = load_le32(h + 8);
  w.n = load_le32(h + 12);
  if (w.m < 1 || w.m > kMaxDim) invalid("m", std::to_string(w.m) + " outside 1…16384");
  if (w.n < 2 || w.n > kMaxDim) invalid("n", std::to_string(w.n) + " outside 2…16384");
  if (w.m > 2 * uint64_t(w.n)) invalid("m", "W_s (2n×m) cannot have orthonormal columns when m > 2n");
  const char* arch = reinterpret_cast<const char*>(h + 16);
  const size_t arch_len = strnlen(arch, kExpanderArchBytes);
  for (size_t i = arch_len; i < kExpanderArchBytes; ++i)
    if (arch[i] != 0) invalid("architecture", "name is not NUL-padded");
  w.arch.assign(arch, arch_len);
  if (w.arch != kExpanderArch) invalid("architecture", "unknown architecture '" + w.arch + "' (this reader knows " +
                                                           kExpanderArch + ")");
  const uint32_t summary_len = load_le32(h + 16 + kExpanderArchBytes);
  if (summary_len > kExpanderMaxSummary)
    invalid("summary", "length " + std::to_string(summary_len) + " exceeds " + std::to_string(kExpanderMaxSummary));
  const uint64_t weights_at = kFixedHeader + summary_len;
  const uint64_t checksum_at = weights_at + 4 * weight_floats(w.m, w.n);
  const uint64_t expected = checksum_at + 32;
  if (size != expected) {
    const std::string have = std::to_string(size) + " bytes, expected " + std::to_string(expected) + " for m=" +
                             std::to_string(w.m) + " n=" + std::to_string(w.n);
    if (size > expected) invalid("size", "trailing bytes after the checksum (" + have + ")");
    if (size < weights_at) invalid("summary", "truncated file (" + have + ")");
    if (size < checksum_at) invalid("weights", "truncated file (" + have + ")");
    invalid("checksum", "truncated file (" + have + ")");
  }
  w.summary.resize(summary_len);
  take(w.summary.data(), summary_len, true);
  for (char c : w.summary)
    if (c == 0) invalid("summary", "contains a NUL byte");
  for (const Matrix& mat : matrices(w)) {
    mat.data->resize(mat.rows * mat.cols);
    take(mat.data->data(), mat.data->size() * sizeof(float), true);
  }
  std::array<uint8_t, 32> stored;
  take(stored.data(), 32, false);
  const auto checksum = body.final();
  if (!crypto::equal_ct(checksum.data(), stored.data(), 32)) invalid("checksum", "mismatch: the file is corrupted");
  out.id = file.final();
  for (const Matrix& mat : matrices(w))
    if (const size_t i = internal::first_non_finite(mat.data->data(), mat.data->size()); i < mat.data->size())
      invalid(mat.name, "non-finite value at row " + std::to_string(i / mat.cols) + ", column " +
                            std::to_string(i % mat.cols));
  // W_s must have orthonormal columns (the template-space isometry the architecture assumes).
  const uint64_t d = 2 * uint64_t(w.n);
  double worst = 0;
  for (uint32_t a = 0; a < w.m; ++a)
    for (uint32_t b = a; b < w.m; ++b) {
      double dot = 0;
      for (uint64_t r = 0; r < d; ++r) dot += double(w.ws[r * w.m + a]) * w.ws[r * w.m + b];
      worst = std::max(worst, std::abs(dot - (a == b ? 1.0 : 0.0)));
    }
  if (worst > kOrthonormalTolerance)
    invalid("W_s", "columns are not orthonormal (max |W_sᵀW_s − I| = " + std::to_string(worst) + ")");
  return out;
}

std::array<uint8_t, 32> init_key(const char* name, const std::array<uint8_t, 32>& seed) {
  const std::string label = std::string("spheremask/v1/te-init/") + name;
  return crypto::Sha256().update(label.data(), label.size()).update(seed.data(), 32).final();
}

std::vector<float> haar(const char* name, const std::array<uint8_t, 32>& seed, uint32_t dim) {
  std::vector<float> q(size_t(dim) * dim);
  const auto key = init_key(name, seed);
  internal::haar_row_major(key.data(), dim, q.data());
  return q;
}

}  // namespace

void check_expander_shapes(const ExpanderWeights& w) {
  auto bad = [](const std::string& why) { throw Error(ErrorCode::InvalidArgument, "expander: " + why); };
  if (w.m < 1 || w.m > kMaxDim) bad("m = " + std::to_string(w.m) + " outside 1…16384");
  if (w.n < 2 || w.n > kMaxDim) bad("n = " + std::to_string(w.n) + " outside 2…16384");
  if (w.m > 2 * uint64_t(w.n)) bad("m must be at most 2n");
  if (w.arch.empty() || w.arch.size() >= kExpanderArchBytes) bad("architecture name must have 1…31 characters");
  if (w.summary.size() > kExpanderMaxSummary) bad("training summary too long");
  auto& mw = const_cast<ExpanderWeights&>(w);
  for (const Matrix& mat : matrices(mw))
    if (mat.data->size() != mat.rows * mat.cols)
      bad(std::string(mat.name) + " holds " + std::to_string(mat.data->size()) + " values, expected " +
          std::to_string(mat.rows) + "×" + std::to_string(mat.cols));
}

std::vector<uint8_t> serialize_expander(const ExpanderWeights& w) {
  std::vector<uint8_t> out;
  write_expander(w, [&](const void* p, size_t len) {
    const auto* b = static_cast<const uint8_t*>(p);
    out.insert(out.end(), b, b + len);
  });
  return out;
}

ExpanderWeights parse_expander(std::span<const uint8_t> bytes) {
  size_t pos = 0;
  return parse_stream(bytes.size(), [&](void* dst, size_t len) {
           std::memcpy(dst, bytes.data() + pos, len);
           pos += len;
         }).w;
}

namespace {
Parsed read_file_parsed(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(ErrorCode::Io, path + ": " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::Io, path + ": cannot open");
  try {
    return parse_stream(size, [&](void* dst, size_t len) {
      in.read(static_cast<char*>(dst), std::streamsize(len));
      if (!in) throw Error(ErrorCode::Io, path + ": read failed");
    });
  } catch (const Error& e) {
    throw Error(e.code(), path + ": " + e.what());
  }
}
}  // namespace

ExpanderWeights read_expander_file(const std::string& path, std::array<uint8_t, 32>* id) {
  Parsed p = read_file_parsed(path);
  if (id) *id = p.id;
  return std::move(p.w);
}

std::array<uint8_t, 32> save_expander(const std::string& path, const ExpanderWeights& w) {
  const std::string tmp = path + ".tmp";
  std::array<uint8_t, 32> id;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(ErrorCode::Io, tmp + ": cannot create");
    id = write_expander(w, [&](const void* p, size_t len) {
      out.write(static_cast<const char*>(p), std::streamsize(len));
      if (!out) throw Error(ErrorCode::Io, tmp + ": write failed");
    });
    out.flush();
    if (!out) throw Error(ErrorCode::Io, tmp + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw Error(ErrorCode::Io, path + ": " + ec.message());
  return id;
}

std::shared_ptr<const Expander> make_expander(ExpanderWeights w) {
  std::array<uint8_t, 32> id = write_expander(w, [](const void*, size_t) {});
  return std::make_shared<internal::TemplateExpander>(std::move(w), id);
}

std::shared_ptr<const Expander> load_expander(const std::string& path) {
  Parsed p = read_file_parsed(path);
  return std::make_shared<internal::TemplateExpander>(std::move(p.w), p.id);
}

ExpanderWeights init_expander(uint32_t m, uint32_t n, const std::array<uint8_t, 32>& seed) {
  ExpanderWeights w;
  w.m = m;
  w.n = n;
  if (m < 1 || m > kMaxDim || n < 2 || n > kMaxDim || m > 2 * uint64_t(n))
    throw Error(ErrorCode::InvalidArgument, "expander init: need 1 ≤ m ≤ 2n and 2 ≤ n ≤ 16384 (got m=" +
                                                std::to_string(m) + ", n=" + std::to_string(n) + ")");
  const uint32_t d = 2 * n;
  {
    const auto q = haar("W_s", seed, d);  // first m columns
    w.ws.resize(size_t(d) * m);
    for (uint32_t r = 0; r < d; ++r) std::memcpy(&w.ws[size_t(r) * m], &q[size_t(r) * d], m * sizeof(float));
  }
  w.w0 = haar("W0", seed, d);
  w.w1 = haar("W1", seed, d);
  w.w2 = haar("W2", seed, d);
  {
    auto q = haar("W3", seed, d);  // first n rows
    q.resize(size_t(n) * d);
    w.w3 = std::move(q);
  }
  w.w4 = haar("W4", seed, n);
  const auto seed_id = crypto::sha256(seed);
  w.summary = "{\"init\":{\"method\":\"haar-chacha20\",\"seed_sha256\":\"" + internal::to_hex(seed_id.data(), 32) + "\"}}";
  return w;
}

}  // namespace spheremask
