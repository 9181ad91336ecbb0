// Engine::verify_serialized: verification straight from serialized records. On the CPU a v2 record's P
// is read from the caller's bytes once: each run of 16 KiB chunks is hashed, scanned and multiplied by
// the probe while it is in cache, instead of parse copying P and verification reading it again.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"
#include "cpu/p_rows.hpp"
#include "decode/list_decode.hpp"
#include "format/record_batch.hpp"
#include "format/record_pointers.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "util/parallel.hpp"

namespace spheremask {
namespace {

constexpr size_t kThreadedHashFrom = size_t(4) << 20;  // P bytes from which one record's chunks use threads

[[noreturn]] void rethrow_for_record(const Error& e, size_t index) {
  throw Error(e.code(), "record " + std::to_string(index) + ": " + e.what());
}

// y = P·t accumulated run by run as the streaming parse hands P over, rows completed by each run.
class RowProducts {
 public:
  RowProducts(uint32_t n, const float* t, std::vector<float>& y, std::vector<float>& scratch)
      : n_(n), t_(t), y_(y), scratch_(scratch) {}

  // A header that does not fit this engine gets no product (check_record names the mismatch).
  void add(const Record& fields, size_t offset, std::span<const uint8_t> run) {
    if (fields.n != n_) return;
    const size_t row_bytes = size_t(n_) * dtype_size(fields.dtype);
    const uint8_t* p = run.data() - offset;  // P's first byte: the runs are consecutive slices of P
    const size_t rows_now = (offset + run.size()) / row_bytes;
    if (rows_now > rows_done_)
      internal::p_rows_times(p + rows_done_ * row_bytes, rows_now - rows_done_, n_, fields.dtype, t_,
                             y_.data() + rows_done_, scratch_);
    rows_done_ = rows_now;
  }
  bool complete() const { return rows_done_ == n_; }

 private:
  uint32_t n_;
  const float* t_;
  std::vector<float>& y_;
  std::vector<float>& scratch_;
  size_t rows_done_ = 0;
};

}  // namespace

std::vector<Decision> Engine::verify_serialized(const float* probes, size_t count,
                                                std::span<const std::span<const uint8_t>> blobs, bool allow_weak) {
  if (blobs.size() != count)
    throw Error(ErrorCode::InvalidArgument, std::to_string(count) + " probes but " + std::to_string(blobs.size()) +
                                                " records (probe i is verified against record i)");
  const int threads = internal::resolve_threads(options_.threads);
  const size_t p_bytes = size_t(params_.n) * params_.n * dtype_size(params_.dtype);
  // A device backend needs P in memory to upload it (and, where it hashes the chunks it uploads, checks
  // the root there: the parse leaves it pending), and a few large records hash faster with their chunks
  // spread over threads: parse (copying P), then verify.
  if (backend_->kind() != Backend::Cpu || (count < size_t(threads) && p_bytes >= kThreadedHashFrom)) {
    const bool defer = backend_->hashes_chunks();
    std::vector<Record> records(count);
    const int per_record = std::max(1, threads / int(std::max<size_t>(count, 1)));
    internal::parallel_for(count, threads, [&](size_t b, size_t e, int) {
      for (size_t i = b; i < e; ++i) {
        try {
          records[i] = internal::parse_record(blobs[i], allow_weak, nullptr, per_record, defer);
        } catch (const Error& err) {
          rethrow_for_record(err, i);
        }
      }
    });
    return verify(probes, count, records);
  }

  std::vector<Record> records(count);  // v2: header fields and chunk digests only
  const auto pointers = internal::record_pointers(records);
  const uint32_t n = params_.n;
  std::vector<std::optional<Error>> failed(count);
  const auto keyed = verify_batches(probes, count, pointers, nullptr,
                                    [&](size_t start, size_t bs, const float* t, uint8_t* match,
                                        detail::Codeword* matched) {
    internal::parallel_for(bs, threads, [&](size_t b, size_t e, int) {
      std::vector<float> y(n), scratch;
      auto list = options_.list_decoding.enabled() ? std::make_unique<internal::ListDecoder>(options_.list_decoding)
                                                   : nullptr;
      for (size_t i = b; i < e; ++i) {
        const size_t index = start + i;
        RowProducts products(n, t + i * n, y, scratch);
        try {
          records[index] = internal::parse_record_streaming(
              blobs[index], allow_weak,
              [&](const Record& fields, size_t offset, std::span<const uint8_t> run) { products.add(fields, offset, run); });
        } catch (const Error& err) {
          failed[index] = Error(err.code(), "record " + std::to_string(index) + ": " + err.what());
          continue;
        }
        try {
          check_record(records[index], index, /*allow_pending=*/false, /*holds_p=*/false);  // names the record itself
        } catch (const Error& err) {
          failed[index] = err;
          continue;
        }
        match[i] = products.complete() && internal::match_verifier(y.data(), n, params_.alpha, records[index].salt.data(),
                                                                  records[index].verifier.data(), list.get(),
                                                                  &matched[i]);
      }
      secure_zero(y.data(), y.size() * sizeof(float));
      secure_zero(scratch.data(), scratch.size() * sizeof(float));
    });
    // The first failing record in index order, whatever thread met it first.
    for (size_t i = start; i < start + bs; ++i)
      if (failed[i]) throw *failed[i];
  });
  std::vector<Decision> out(keyed.size());
  for (size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].decision;
  return out;
}

}  // namespace spheremask
