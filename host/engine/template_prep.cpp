#include "engine/template_prep.hpp"

#include <cblas.h>

#include <algorithm>

#include <cmath>
#include <cstring>
#include <string>

#include "backend/backend_impl.hpp"
#include "crypto/crypto.hpp"
#include "util/finite.hpp"
#include "util/parallel.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::internal {

namespace {

// Elements per thread at the least (256 KiB, tens of µs of work), so that starting a thread pays.
constexpr size_t kMinElementsPerThread = size_t(1) << 16;

void normalize_row_range(float* rows, size_t begin, size_t end, uint32_t dim, size_t first_row) {
  for (size_t i = begin; i < end; ++i) {
    float* row = rows + i * dim;
    if (const size_t j = first_non_finite(row, dim); j < dim)
      throw Error(ErrorCode::InvalidArgument, "template row " + std::to_string(first_row + i) +
                                                  " has a non-finite value at column " + std::to_string(j));
    double norm2 = 0;
    for (uint32_t j = 0; j < dim; ++j) norm2 += double(row[j]) * row[j];
    if (norm2 == 0.0 || !std::isfinite(norm2))
      throw Error(ErrorCode::InvalidArgument, "template row " + std::to_string(first_row + i) +
                                                  (norm2 == 0.0 ? " is the zero vector" : " overflows its norm"));
    const double inv = 1.0 / std::sqrt(norm2);
    for (uint32_t j = 0; j < dim; ++j) row[j] = float(row[j] * inv);
  }
}

}  // namespace

void normalize_rows(float* rows, size_t count, uint32_t dim, size_t first_row, int threads) {
  const size_t workers = std::min<size_t>(size_t(std::max(threads, 1)), count * dim / kMinElementsPerThread);
  if (workers <= 1) return normalize_row_range(rows, 0, count, dim, first_row);
  // Each chunk stops at its first bad row; the error reported is the lowest bad row's, as on one thread.
  std::vector<size_t> first_bad(workers, count);
  internal::parallel_for(workers, int(workers), [&](size_t wb, size_t we, int) {
    for (size_t w = wb; w < we; ++w) {
      const size_t begin = count * w / workers, end = count * (w + 1) / workers;
      for (size_t i = begin; i < end; ++i) {
        try {
          normalize_row_range(rows, i, i + 1, dim, first_row);
        } catch (const Error&) {
          first_bad[w] = i;
          break;
        }
      }
    }
  });
  const size_t bad = *std::min_element(first_bad.begin(), first_bad.end());
  if (bad < count) normalize_row_range(rows, bad, bad + 1, dim, first_row);  // throws that row's error
}

std::vector<float> prepare_templates(BackendImpl& backend, const Params& params,
                                     const std::vector<float>& app_transform, const float* templates, size_t count,
                                     size_t first_row, int threads) {
  std::vector<float> in(templates, templates + count * params.m);
  normalize_rows(in.data(), count, params.m, first_row, threads);
  std::vector<float> out;
  if (params.expander) {
    out.resize(count * params.n);
    backend.expand(*params.expander, in.data(), count, out.data());
    secure_zero(in.data(), in.size() * sizeof(float));
    normalize_rows(out.data(), count, params.n, first_row, threads);
  } else {
    out = std::move(in);
  }
  if (!app_transform.empty() && count > 0) {
    std::vector<float> bound(out.size());
    const int n = int(params.n);
    // Row i of bound = (S_app · out_i)ᵀ = out_i · S_appᵀ
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(count), n, n, 1.0f, out.data(), n,
                app_transform.data(), n, 0.0f, bound.data(), n);
    secure_zero(out.data(), out.size() * sizeof(float));
    out = std::move(bound);
  }
  return out;
}

std::array<uint8_t, 32> app_id(const std::array<uint8_t, 32>& app_key) {
  const char label[] = "spheremask/v1/app-id";
  return crypto::Sha256().update(label, sizeof label - 1).update(app_key.data(), 32).final();
}

std::vector<float> app_transform(BackendImpl& backend, const std::array<uint8_t, 32>& app_key, uint32_t n) {
  const char label[] = "spheremask/v1/app";
  const std::array<uint8_t, 32> zero_salt{};  // RFC 5869: an absent salt is HashLen zeros
  auto prk = crypto::hkdf_extract(zero_salt, app_key);
  auto key = crypto::hkdf_expand32(prk, {reinterpret_cast<const uint8_t*>(label), sizeof label - 1});
  std::vector<float> s(size_t(n) * n);
  backend.haar(key.data(), n, s.data());
  secure_zero(prk.data(), prk.size());
  secure_zero(key.data(), key.size());
  return s;
}

}  // namespace spheremask::internal
