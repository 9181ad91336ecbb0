// Multi-frame probes: k consecutive rows make one claim, either as their normalized mean or any-of-k.
#include <algorithm>
#include <string>
#include <vector>

#include "spheremask/engine.hpp"
#include "format/record_pointers.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

// Rows / k probes; throws when k is 0 or does not divide the rows.
size_t probes_of(size_t rows, const FrameOptions& frames) {
  if (frames.per_probe == 0) throw Error(ErrorCode::InvalidArgument, "frames per probe must be at least 1 (k = 0)");
  if (rows % frames.per_probe != 0)
    throw Error(ErrorCode::InvalidArgument, std::to_string(rows) + " probe rows are not a multiple of " +
                                                std::to_string(frames.per_probe) + " frames per probe");
  return rows / frames.per_probe;
}

// The normalized mean of every k consecutive rows.
std::vector<float> frame_means(const float* frames, size_t probes, uint32_t m, uint32_t k) {
  const std::vector<uint32_t> sizes(probes, k);
  return combine_groups(frames, m, sizes).rows;
}

// Tampered dominates (a frame matched a forged record), then Accept.
int rank(Decision d) { return d == Decision::Tampered ? 2 : d == Decision::Accept ? 1 : 0; }

}  // namespace

std::vector<KeyedDecision> Engine::verify_frames_common(const float* frames, size_t rows, std::span<const Record> records,
                                                        const std::string_view* context, const FrameOptions& opt) {
  const size_t probes = probes_of(rows, opt);
  if (probes != records.size())
    throw Error(ErrorCode::InvalidArgument, std::to_string(probes) + " probes of " + std::to_string(opt.per_probe) +
                                                " frames but " + std::to_string(records.size()) +
                                                " records (probe i is verified against record i)");
  if (rows > 0 && frames == nullptr) throw Error(ErrorCode::InvalidArgument, "probes is null");
  for (size_t i = 0; i < records.size(); ++i) check_record(records[i], i);
  const uint32_t k = opt.per_probe;
  if (k == 1) return verify_common(frames, rows, internal::record_pointers(records), context);
  if (opt.rule == FrameRule::Mean) {
    std::vector<float> mean = frame_means(frames, probes, params_.m, k);
    auto out = verify_common(mean.data(), probes, internal::record_pointers(records), context);
    secure_zero(mean.data(), mean.size() * sizeof(float));
    return out;
  }
  std::vector<const Record*> each_frame(rows);  // frame r claims record r / k
  for (size_t r = 0; r < rows; ++r) each_frame[r] = &records[r / k];
  auto per_frame = verify_common(frames, rows, each_frame, context);
  std::vector<KeyedDecision> out(probes);
  for (size_t r = 0; r < rows; ++r) {
    KeyedDecision& d = out[r / k];
    if (rank(per_frame[r].decision) > rank(d.decision)) {
      d.decision = per_frame[r].decision;
      // Every accepting frame decoded the record's one codeword, so any of them gives the key.
      d.key = per_frame[r].key;
    }
  }
  for (auto& d : out)
    if (d.decision != Decision::Accept) d.key = SecretKey{};
  return out;
}

std::vector<Decision> Engine::verify_frames(const float* frames, size_t rows, std::span<const Record> records,
                                            const FrameOptions& opt) {
  const auto keyed = verify_frames_common(frames, rows, records, nullptr, opt);
  std::vector<Decision> out(keyed.size());
  for (size_t i = 0; i < keyed.size(); ++i) out[i] = keyed[i].decision;
  return out;
}

std::vector<KeyedDecision> Engine::verify_and_derive_frames(const float* frames, size_t rows,
                                                            std::span<const Record> records, std::string_view context,
                                                            const FrameOptions& opt) {
  return verify_frames_common(frames, rows, records, &context, opt);
}

namespace {

// Any-of-k: probe p is matched by every record matching one of its frames.
std::vector<std::vector<uint32_t>> union_of_frames(const std::vector<std::vector<uint32_t>>& per_frame, size_t probes,
                                                   uint32_t k) {
  std::vector<std::vector<uint32_t>> out(probes);
  for (size_t r = 0; r < per_frame.size(); ++r)
    out[r / k].insert(out[r / k].end(), per_frame[r].begin(), per_frame[r].end());
  for (auto& ids : out) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  return out;
}

template <typename Identify>
std::vector<std::vector<uint32_t>> identify_with_frames(const float* frames, size_t rows, const Params& params,
                                                        const FrameOptions& opt, const Identify& identify) {
  const size_t probes = probes_of(rows, opt);
  if (rows > 0 && frames == nullptr) throw Error(ErrorCode::InvalidArgument, "probes is null");
  if (opt.per_probe == 1) return identify(frames, rows);
  if (opt.rule == FrameRule::AnyOf) return union_of_frames(identify(frames, rows), probes, opt.per_probe);
  std::vector<float> mean = frame_means(frames, probes, params.m, opt.per_probe);
  auto out = identify(mean.data(), probes);
  secure_zero(mean.data(), mean.size() * sizeof(float));
  return out;
}

}  // namespace

std::vector<std::vector<uint32_t>> Engine::identify_frames(const float* frames, size_t rows,
                                                           std::span<const Record> gallery, const FrameOptions& opt) {
  return identify_with_frames(frames, rows, params_, opt, [&](const float* p, size_t count) {
    return identify(p, count, gallery);
  });
}

std::vector<std::vector<uint32_t>> Engine::identify_frames(const float* frames, size_t rows, const Gallery& gallery,
                                                           const FrameOptions& opt) {
  return identify_with_frames(frames, rows, params_, opt, [&](const float* p, size_t count) {
    return identify(p, count, gallery);
  });
}

}  // namespace spheremask
