// C API: multi-sample enrollment and multi-frame probes.
#include <cmath>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "capi/c_api_handles.hpp"

using namespace spheremask;
using capi::guarded;
using capi::require;

namespace {

FrameOptions frame_options(uint32_t per_probe, int rule) {
  if (rule != SM_FRAMES_MEAN && rule != SM_FRAMES_ANY_OF)
    throw Error(ErrorCode::InvalidArgument, "unknown frame rule " + std::to_string(rule) +
                                                " (SM_FRAMES_MEAN or SM_FRAMES_ANY_OF)");
  FrameOptions o;
  o.per_probe = per_probe;
  o.rule = rule == SM_FRAMES_ANY_OF ? FrameRule::AnyOf : FrameRule::Mean;
  return o;
}

// Checks the handles and the frame count before any output is touched; returns the probe count.
size_t frame_probes(const sm_engine* engine, const float* frames, size_t rows, uint32_t per_probe) {
  require(engine, "engine");
  if (rows > 0) require(frames, "frames");
  if (per_probe == 0) throw Error(ErrorCode::InvalidArgument, "frames_per_probe is 0 (k must be at least 1)");
  if (rows % per_probe != 0)
    throw Error(ErrorCode::InvalidArgument, "frame_rows " + std::to_string(rows) + " is not a multiple of frames_per_probe " +
                                                std::to_string(per_probe));
  return rows / per_probe;
}

}  // namespace

extern "C" {

sm_status sm_enroll_combined(sm_engine* engine, const float* templates, const uint32_t* group_sizes, size_t groups,
                             double outlier_deg, sm_records* out, uint8_t* dropped) {
  return guarded([&] {
    require(engine, "engine");
    require(out, "records");
    if (groups > 0) require(group_sizes, "group_sizes");
    size_t rows = 0;
    for (size_t g = 0; g < groups; ++g) rows += group_sizes[g];
    if (rows > 0) require(templates, "templates");
    CombineOptions combine;
    if (outlier_deg != 0.0) combine.outlier_deg = outlier_deg;  // NaN and out-of-range angles fail in the engine
    auto made = engine->impl->enroll_groups(templates, std::span(group_sizes, groups), EnrollOptions{}, combine);
    if (dropped) {
      std::memset(dropped, 0, rows);
      for (const auto& d : made.dropped)
        for (size_t r : d) dropped[r] = 1;
    }
    out->impl.reserve(out->impl.size() + made.records.size());  // so the moves below cannot fail halfway
    for (auto& r : made.records) out->impl.push_back(std::move(r));
  });
}

uint32_t sm_records_samples(const sm_records* records, size_t index) {
  if (records == nullptr || index >= records->impl.size()) return 0;
  return records->impl[index].samples;
}

sm_status sm_verify_frames(sm_engine* engine, const float* frames, size_t frame_rows, uint32_t frames_per_probe,
                           int rule, const sm_records* records, uint8_t* decisions) {
  return guarded([&] {
    const size_t probes = frame_probes(engine, frames, frame_rows, frames_per_probe);
    require(records, "records");
    if (probes > 0) require(decisions, "decisions");
    const auto d = engine->impl->verify_frames(frames, frame_rows, records->impl, frame_options(frames_per_probe, rule));
    for (size_t i = 0; i < d.size(); ++i) decisions[i] = static_cast<uint8_t>(d[i]);
  });
}

sm_status sm_verify_and_derive_frames(sm_engine* engine, const float* frames, size_t frame_rows,
                                      uint32_t frames_per_probe, int rule, const sm_records* records,
                                      const void* context, size_t context_len, uint8_t* decisions, uint8_t* keys) {
  return guarded([&] {
    const size_t probes = frame_probes(engine, frames, frame_rows, frames_per_probe);
    require(records, "records");
    if (context_len > 0) require(context, "context");
    if (probes > 0) {
      require(decisions, "decisions");
      require(keys, "keys");
    }
    const std::string_view ctx(static_cast<const char*>(context), context ? context_len : 0);
    const auto d = engine->impl->verify_and_derive_frames(frames, frame_rows, records->impl, ctx,
                                                          frame_options(frames_per_probe, rule));
    for (size_t i = 0; i < d.size(); ++i) {
      decisions[i] = static_cast<uint8_t>(d[i].decision);
      std::memcpy(keys + i * SM_KEY_BYTES, d[i].key.bytes().data(), SM_KEY_BYTES);
    }
  });  // the SecretKeys in d wipe themselves
}

sm_status sm_identify_frames(sm_engine* engine, const float* frames, size_t frame_rows, uint32_t frames_per_probe,
                             int rule, const sm_records* gallery, sm_matches** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    frame_probes(engine, frames, frame_rows, frames_per_probe);
    require(gallery, "gallery");
    const auto hits = engine->impl->identify_frames(frames, frame_rows, gallery->impl, frame_options(frames_per_probe, rule));
    *out = capi::matches_of(hits).release();
  });
}

}  // extern "C"
