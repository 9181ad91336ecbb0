// C API: expander, parameters, engine, records, enrollment, verification and identification.
// Every entry point runs inside capi::guarded, so no exception crosses the C boundary.
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "capi/c_api_handles.hpp"
#include "decode/list_decode.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/keys.hpp"

using namespace spheremask;
using capi::guarded;
using capi::require;

namespace {

// Enum arguments arrive as int and are compared as int: converting an unchecked integer to the C
// enum type first would be undefined behaviour for values outside its enumerators.
Dtype to_dtype(int d) {
  if (d == SM_DTYPE_F32) return Dtype::F32;
  if (d == SM_DTYPE_F16) return Dtype::F16;
  throw Error(ErrorCode::InvalidArgument, "dtype: unknown value " + std::to_string(d) + " (SM_DTYPE_F32 or SM_DTYPE_F16)");
}

Backend to_backend(int b) {
  if (b == SM_BACKEND_AUTO) return Backend::Auto;
  if (b == SM_BACKEND_CPU) return Backend::Cpu;
  if (b == SM_BACKEND_CUDA) return Backend::Cuda;
  throw Error(ErrorCode::InvalidArgument,
              "backend: unknown value " + std::to_string(b) + " (SM_BACKEND_AUTO, SM_BACKEND_CPU or SM_BACKEND_CUDA)");
}

sm_status create_params(uint32_t m, uint32_t n, uint32_t alpha, int dtype, int allow_weak,
                        std::shared_ptr<const Expander> expander, sm_params** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    auto params = std::make_unique<sm_params>();
    Params& p = params->impl;
    p.m = m;
    p.n = n != 0 ? n : (expander ? expander->output_dim() : m);
    p.alpha = alpha;
    p.dtype = to_dtype(dtype);
    p.allow_weak = allow_weak != 0;
    p.expander = std::move(expander);
    validate(p);
    *out = params.release();
  });
}

void check_probes(const sm_engine* engine, const float* probes, size_t count) {
  require(engine, "engine");
  if (count > 0) require(probes, "probes");
}

sm_status enroll(sm_engine* engine, const float* templates, size_t count, const EnrollOptions& options,
                 sm_records* out) {
  return guarded([&] {
    require(engine, "engine");
    require(out, "records");
    if (count > 0) require(templates, "templates");
    auto made = engine->impl->enroll(templates, count, options);
    out->impl.reserve(out->impl.size() + made.size());  // so the moves below cannot fail halfway
    for (auto& r : made) out->impl.push_back(std::move(r));
  });
}

sm_status parse_append(sm_records* records, const uint8_t* bytes, size_t len, const ParseOptions& options) {
  return guarded([&] {
    require(records, "records");
    if (len > 0) require(bytes, "bytes");
    Record r = Record::parse(std::span<const uint8_t>(bytes, len), options);
    records->impl.push_back(std::move(r));
  });
}

}  // namespace

extern "C" {

// ---- expander ----

sm_status sm_expander_load(const char* path, sm_expander** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(path, "path");
    auto e = std::make_unique<sm_expander>();
    e->impl = load_expander(path);
    *out = e.release();
  });
}

void sm_expander_free(sm_expander* expander) { delete expander; }
uint32_t sm_expander_input_dim(const sm_expander* e) { return e ? e->impl->input_dim() : 0; }
uint32_t sm_expander_output_dim(const sm_expander* e) { return e ? e->impl->output_dim() : 0; }
void sm_expander_id(const sm_expander* e, uint8_t id_out[32]) {
  if (e == nullptr || id_out == nullptr) return;
  std::memcpy(id_out, e->impl->id().data(), 32);
}

// ---- parameters ----

sm_status sm_params_create(uint32_t m, uint32_t n, uint32_t alpha, int dtype, int allow_weak,
                           const char* expander_path, sm_params** out) {
  std::shared_ptr<const Expander> expander;
  if (expander_path != nullptr) {
    const sm_status st = guarded([&] { expander = load_expander(expander_path); });
    if (st != SM_OK) {
      if (out) *out = nullptr;
      return st;
    }
  }
  return create_params(m, n, alpha, dtype, allow_weak, std::move(expander), out);
}

sm_status sm_params_create_with_expander(uint32_t m, uint32_t n, uint32_t alpha, int dtype, int allow_weak,
                                         const sm_expander* expander, sm_params** out) {
  return create_params(m, n, alpha, dtype, allow_weak, expander ? expander->impl : nullptr, out);
}

sm_status sm_params_set_app_key(sm_params* params, const uint8_t app_key[32]) {
  return guarded([&] {
    require(params, "params");
    require(app_key, "app_key");
    std::array<uint8_t, 32> key;
    std::memcpy(key.data(), app_key, 32);
    params->impl.app_key = key;
    secure_zero(key.data(), key.size());
  });
}

sm_status sm_params_set_cuda_haar(sm_params* params, int haar) {
  return guarded([&] {
    require(params, "params");
    if (haar != SM_CUDA_HAAR_AUTO && haar != SM_CUDA_HAAR_ORGQR && haar != SM_CUDA_HAAR_WY)
      throw Error(ErrorCode::InvalidArgument, "haar: unknown value " + std::to_string(haar) +
                                                  " (SM_CUDA_HAAR_AUTO, SM_CUDA_HAAR_ORGQR or SM_CUDA_HAAR_WY)");
    params->engine_options.cuda_haar = CudaHaar(haar);
  });
}

sm_status sm_params_set_gallery_cap_bytes(sm_params* params, uint64_t cap_bytes) {
  return guarded([&] {
    require(params, "params");
    if (cap_bytes > std::numeric_limits<size_t>::max())
      throw Error(ErrorCode::InvalidArgument, "cap_bytes: " + std::to_string(cap_bytes) + " exceeds the address space");
    params->engine_options.gallery_cap_bytes = size_t(cap_bytes);
  });
}

sm_status sm_params_set_identify_tensor_cores(sm_params* params, int on) {
  return guarded([&] {
    require(params, "params");
    params->engine_options.identify_tensor_cores = capi::flag_of(on, "identify_tensor_cores");
  });
}

sm_status sm_params_set_cuda_chunk_hash_on_device(sm_params* params, int on) {
  return guarded([&] {
    require(params, "params");
    params->engine_options.cuda_chunk_hash_on_device = capi::flag_of(on, "chunk_hash_on_device");
  });
}

sm_status sm_params_set_batch_size(sm_params* params, uint64_t batch_size) {
  return guarded([&] {
    require(params, "params");
    if (batch_size > std::numeric_limits<size_t>::max())
      throw Error(ErrorCode::InvalidArgument, "batch_size: " + std::to_string(batch_size) + " exceeds the address space");
    params->engine_options.batch_size = size_t(batch_size);
  });
}

sm_status sm_params_set_list_decoding(sm_params* params, double max_angle_deg, uint32_t max_candidates) {
  return guarded([&] {
    require(params, "params");
    const ListDecoding list{max_angle_deg, max_candidates};
    internal::validate_list_decoding(list);  // here, so the params never hold a setting no engine accepts
    params->engine_options.list_decoding = list;
  });
}

void sm_params_free(sm_params* params) {
  if (params && params->impl.app_key) secure_zero(params->impl.app_key->data(), 32);
  delete params;
}

// ---- engine ----

sm_status sm_engine_create(const sm_params* params, int backend, int threads, int device, sm_engine** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    require(params, "params");
    EngineOptions options = params->engine_options;
    options.threads = threads;
    options.device = device;
    auto e = std::make_unique<sm_engine>();
    e->impl = make_engine(params->impl, to_backend(backend), options);
    *out = e.release();
  });
}

void sm_engine_free(sm_engine* engine) { delete engine; }

sm_backend sm_engine_backend(const sm_engine* engine) {
  if (engine == nullptr) return SM_BACKEND_AUTO;
  return engine->impl->backend() == Backend::Cuda ? SM_BACKEND_CUDA : SM_BACKEND_CPU;
}

int sm_engine_defers_checksums(const sm_engine* engine) {
  return engine != nullptr && engine->impl->defers_checksums() ? 1 : 0;
}

void sm_engine_dims(const sm_engine* engine, uint32_t* m, uint32_t* n, uint32_t* alpha) {
  const Params* p = engine ? &engine->impl->params() : nullptr;
  if (m) *m = p ? p->m : 0;
  if (n) *n = p ? p->n : 0;
  if (alpha) *alpha = p ? p->alpha : 0;
}

// ---- records ----

sm_status sm_records_create(sm_records** out) {
  return guarded([&] {
    require(out, "out");
    *out = new sm_records();
  });
}

void sm_records_free(sm_records* records) { delete records; }
size_t sm_records_count(const sm_records* records) { return records ? records->impl.size() : 0; }

sm_status sm_records_parse_append(sm_records* records, const uint8_t* bytes, size_t len, int allow_weak) {
  return parse_append(records, bytes, len, ParseOptions{.allow_weak = allow_weak != 0, .defer_checksum = false});
}

sm_status sm_records_parse_append_deferred(sm_records* records, const uint8_t* bytes, size_t len, int allow_weak) {
  return parse_append(records, bytes, len, ParseOptions{.allow_weak = allow_weak != 0, .defer_checksum = true});
}

int sm_records_checksum_pending(const sm_records* records, size_t index) {
  if (records == nullptr || index >= records->impl.size()) return 0;
  return records->impl[index].checksum_pending() ? 1 : 0;
}

size_t sm_records_serialized_size(const sm_records* records, size_t index) {
  if (records == nullptr || index >= records->impl.size()) return 0;
  return records->impl[index].serialized_size();
}

sm_status sm_records_serialize(const sm_records* records, size_t index, uint8_t* buf, size_t cap, size_t* written) {
  return guarded([&] {
    require(records, "records");
    require(written, "written");
    if (index >= records->impl.size())
      throw Error(ErrorCode::InvalidArgument, "record index " + std::to_string(index) + " out of range (" +
                                                  std::to_string(records->impl.size()) + " records)");
    const Record& r = records->impl[index];
    *written = r.serialized_size();
    capi::require_capacity(*written, cap, buf, "the record");
    const std::vector<uint8_t> bytes = r.serialize();
    std::memcpy(buf, bytes.data(), bytes.size());
  });
}

int sm_records_is_deterministic(const sm_records* records, size_t index) {
  if (records == nullptr || index >= records->impl.size()) return 0;
  return records->impl[index].deterministic() ? 1 : 0;
}

// ---- enrollment, verification ----

sm_status sm_enroll(sm_engine* engine, const float* templates, size_t count, sm_records* out) {
  return enroll(engine, templates, count, EnrollOptions{}, out);
}

sm_status sm_enroll_insecure_deterministic(sm_engine* engine, const float* templates, size_t count,
                                           const uint8_t seed[32], uint64_t first_index, sm_records* out) {
  if (seed == nullptr) return capi::fail(SM_ERR_INVALID_ARGUMENT, "seed is null");
  EnrollOptions options;
  options.insecure_seed.emplace();
  std::memcpy(options.insecure_seed->data(), seed, 32);
  options.first_index = first_index;
  const sm_status st = enroll(engine, templates, count, options, out);
  secure_zero(options.insecure_seed->data(), 32);
  return st;
}

sm_status sm_verify(sm_engine* engine, const float* probes, size_t count, const sm_records* records,
                    uint8_t* decisions) {
  return guarded([&] {
    check_probes(engine, probes, count);
    require(records, "records");
    if (count > 0) require(decisions, "decisions");
    const auto d = engine->impl->verify(probes, count, records->impl);
    for (size_t i = 0; i < d.size(); ++i) decisions[i] = static_cast<uint8_t>(d[i]);
  });
}

sm_status sm_verify_and_derive(sm_engine* engine, const float* probes, size_t count, const sm_records* records,
                               const void* context, size_t context_len, uint8_t* decisions, uint8_t* keys) {
  return guarded([&] {
    check_probes(engine, probes, count);
    require(records, "records");
    if (context_len > 0) require(context, "context");
    if (count > 0) {
      require(decisions, "decisions");
      require(keys, "keys");
    }
    const std::string_view ctx(static_cast<const char*>(context), context ? context_len : 0);
    const auto d = engine->impl->verify_and_derive(probes, count, records->impl, ctx);
    for (size_t i = 0; i < d.size(); ++i) {
      decisions[i] = static_cast<uint8_t>(d[i].decision);
      std::memcpy(keys + i * SM_KEY_BYTES, d[i].key.bytes().data(), SM_KEY_BYTES);
    }
  });  // the SecretKeys in d wipe themselves
}

// ---- identification ----

sm_status sm_identify(sm_engine* engine, const float* probes, size_t probe_count, const sm_records* gallery,
                      sm_matches** out) {
  return guarded([&] {
    require(out, "out");
    *out = nullptr;
    check_probes(engine, probes, probe_count);
    require(gallery, "gallery");
    const auto hits = engine->impl->identify(probes, probe_count, gallery->impl);
    *out = capi::matches_of(hits).release();
  });
}

void sm_matches_free(sm_matches* matches) { delete matches; }
size_t sm_matches_probe_count(const sm_matches* m) { return m ? m->offsets.size() - 1 : 0; }
const size_t* sm_matches_offsets(const sm_matches* m) { return m ? m->offsets.data() : nullptr; }
const uint32_t* sm_matches_indices(const sm_matches* m) { return m ? m->indices.data() : nullptr; }

}  // extern "C"
