#include "py_engine.hpp"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

#include "decode/list_decode.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"

namespace spheremask::python {

namespace {

Dtype parse_dtype(const std::string& s) {
  if (s == "f32" || s == "float32") return Dtype::F32;
  if (s == "f16" || s == "float16") return Dtype::F16;
  throw Error(ErrorCode::InvalidArgument, "unknown dtype '" + s + "' (f32 or f16)");
}

// bytes/str -> bytes view; str is UTF-8 encoded.
std::string bytes_of(const py::object& o, const char* what) {
  if (py::isinstance<py::bytes>(o)) return o.cast<std::string>();
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  if (py::isinstance<py::bytearray>(o) || py::isinstance<py::memoryview>(o))
    return py::bytes(o).cast<std::string>();
  throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be bytes or str");
}

// The engine settles a deferred checksum in its per-call verification only (multi-frame verification,
// like identification, refuses pending records): say so before parsing anything.
void refuse_deferred_frames(bool defer_checksum, uint32_t frames_per_probe) {
  if (defer_checksum && frames_per_probe != 1)
    throw Error(ErrorCode::InvalidArgument, "defer_checksum applies to single-frame verification only "
                                            "(frames_per_probe = " + std::to_string(frames_per_probe) + ")");
}

FrameOptions frames_of(uint32_t per_probe, bool any_of) {
  FrameOptions o;
  o.per_probe = per_probe;
  o.rule = any_of ? FrameRule::AnyOf : FrameRule::Mean;
  return o;
}

std::optional<std::array<uint8_t, 32>> seed_of(const std::optional<py::bytes>& insecure_seed) {
  if (!insecure_seed) return std::nullopt;
  const std::string s = *insecure_seed;
  if (s.size() != 32) throw Error(ErrorCode::InvalidArgument, "insecure_seed must be 32 bytes");
  std::array<uint8_t, 32> seed;
  std::memcpy(seed.data(), s.data(), 32);
  return seed;
}

CudaHaar parse_cuda_haar(const std::string& s) {
  if (s == "auto") return CudaHaar::Auto;
  if (s == "orgqr") return CudaHaar::Orgqr;
  if (s == "wy") return CudaHaar::Wy;
  throw Error(ErrorCode::InvalidArgument, "cuda_haar: unknown value '" + s + "' (auto, orgqr or wy)");
}

// A switch is True or False (or a numpy bool): an int or None would be read as one silently.
bool flag_of(const py::object& o, const char* name) {
  if (py::isinstance<py::bool_>(o) || py::isinstance(o, py::module_::import("numpy").attr("bool_")))
    return o.cast<bool>();
  throw Error(ErrorCode::InvalidArgument,
              std::string(name) + " must be True or False, got " + std::string(py::repr(o)));
}

// A Python int of any size into [0, max]: one outside must not wrap into the allowed range.
template <class T>
T bounded(int64_t v, T max, const char* name) {
  if (v < 0 || uint64_t(v) > uint64_t(max))
    throw Error(ErrorCode::InvalidArgument,
                std::string(name) + ": " + std::to_string(v) + " is outside [0, " + std::to_string(max) + "]");
  return T(v);
}

py::list bytes_list(const std::vector<std::vector<uint8_t>>& records) {
  py::list out;
  for (const auto& b : records) out.append(py::bytes(reinterpret_cast<const char*>(b.data()), b.size()));
  return out;
}

}  // namespace

PyEngine::PyEngine(uint32_t m, std::optional<uint32_t> n, uint32_t alpha, const std::string& dtype,
                   const std::string& backend, int threads, std::optional<std::filesystem::path> expander,
                   bool allow_weak, const std::optional<py::bytes>& app_key, double list_angle, int64_t list_max,
                   const std::string& cuda_haar, int64_t gallery_cap_bytes, const py::object& identify_tensor_cores,
                   const py::object& cuda_chunk_hash_on_device, int64_t batch_size, int64_t device) {
  Params p;
  struct WipeKey {  // the engine keeps its own copy; this one goes on every path out
    Params& p;
    ~WipeKey() { if (p.app_key) secure_zero(p.app_key->data(), 32); }
  } wipe_key{p};
  p.m = m;
  p.alpha = alpha;
  p.dtype = parse_dtype(dtype);
  p.allow_weak = allow_weak;
  if (app_key) {
    std::string key = *app_key;
    const bool ok = key.size() == 32;
    if (ok) std::memcpy(p.app_key.emplace().data(), key.data(), 32);
    secure_zero(key.data(), key.size());  // the Python bytes object itself cannot be wiped
    if (!ok) throw Error(ErrorCode::InvalidArgument, "app_key must be 32 bytes, got " + std::to_string(key.size()));
  }
  const Backend b = parse_backend(backend);
  EngineOptions options;
  options.threads = threads;
  // A Python int of any size: one outside uint32 must not wrap into the allowed range.
  if (list_max < 0 || list_max > int64_t(UINT32_MAX))
    throw Error(ErrorCode::InvalidArgument, "list_max: " + std::to_string(list_max) + " is outside [1, " +
                                                std::to_string(internal::kMaxListCandidates) + "]");
  options.list_decoding = {list_angle, uint32_t(list_max)};  // make_engine checks both
  options.cuda_haar = parse_cuda_haar(cuda_haar);
  options.gallery_cap_bytes = bounded(gallery_cap_bytes, std::numeric_limits<size_t>::max(), "gallery_cap_bytes");
  options.identify_tensor_cores = flag_of(identify_tensor_cores, "identify_tensor_cores");
  options.cuda_chunk_hash_on_device = flag_of(cuda_chunk_hash_on_device, "cuda_chunk_hash_on_device");
  options.batch_size = bounded(batch_size, std::numeric_limits<size_t>::max(), "batch_size");
  options.device = bounded(device, std::numeric_limits<int>::max(), "device");  // an ordinal is never negative
  py::gil_scoped_release nogil;  // loading an expander and building a CUDA context take a while
  if (expander) p.expander = load_expander(expander->string());
  p.n = n ? *n : (p.expander ? p.expander->output_dim() : m);
  engine_ = make_engine(p, b, options);
}

std::string PyEngine::backend_name() const { return spheremask::backend_name(engine_->backend()); }

size_t PyEngine::rows_of(const FloatRows& t, const char* what) const {
  if (t.ndim() != 2 || size_t(t.shape(1)) != params().m)
    throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be a 2-D array of shape (k, " +
                                                std::to_string(params().m) + ") (one template per row; use t[None, :] for one)");
  return size_t(t.shape(0));
}

std::vector<Record> PyEngine::parse_records(const py::sequence& records, bool defer_checksum) const {
  // Take references under the GIL (so the bytes outlive a concurrent change of the list), then
  // validate without it: parsing hashes every P.
  std::vector<py::object> items;
  std::vector<std::span<const uint8_t>> views;
  items.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    items.push_back(records[i]);
    if (!py::isinstance<py::bytes>(items.back()))
      throw Error(ErrorCode::InvalidArgument, "record " + std::to_string(i) + " is not bytes");
    char* data = nullptr;
    Py_ssize_t len = 0;
    PyBytes_AsStringAndSize(items.back().ptr(), &data, &len);
    views.emplace_back(reinterpret_cast<const uint8_t*>(data), size_t(len));
  }
  std::vector<Record> out;
  out.reserve(views.size());
  py::gil_scoped_release nogil;
  for (size_t i = 0; i < views.size(); ++i) {
    try {
      out.push_back(Record::parse(views[i], ParseOptions{.allow_weak = params().allow_weak, .defer_checksum = defer_checksum}));
    } catch (const Error& e) {
      throw Error(e.code(), "record " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

py::list PyEngine::enroll(const FloatRows& templates, const std::optional<py::bytes>& insecure_seed) {
  const size_t k = rows_of(templates, "templates");
  EnrollOptions options;
  options.insecure_seed = seed_of(insecure_seed);
  std::vector<std::vector<uint8_t>> bytes(k);
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    const auto records = engine_->enroll(templates.data(), k, options);
    for (size_t i = 0; i < k; ++i) bytes[i] = records[i].serialize();
  }
  return bytes_list(bytes);
}

py::tuple PyEngine::enroll_mean(const py::sequence& samples, std::optional<double> outlier_deg,
                                const std::optional<py::bytes>& insecure_seed) {
  // Person g's samples: a (k, m) array (or one template of shape (m,)); all concatenated for one call.
  std::vector<float> rows;
  std::vector<uint32_t> sizes;
  std::vector<size_t> first_row;
  for (size_t g = 0; g < samples.size(); ++g) {
    FloatRows a = py::cast<FloatRows>(samples[g]);
    if (a.ndim() == 1) a = py::cast<FloatRows>(py::array(a).reshape({py::ssize_t(1), a.shape(0)}));
    if (a.ndim() != 2 || size_t(a.shape(1)) != params().m)
      throw Error(ErrorCode::InvalidArgument, "samples[" + std::to_string(g) + "] must have shape (k, " +
                                                  std::to_string(params().m) + "), got " +
                                                  (a.ndim() == 2 ? "(" + std::to_string(a.shape(0)) + ", " +
                                                                       std::to_string(a.shape(1)) + ")"
                                                                 : std::to_string(a.ndim()) + " dimensions"));
    first_row.push_back(sizes.empty() ? 0 : first_row.back() + sizes.back());
    sizes.push_back(uint32_t(std::min<size_t>(a.shape(0), UINT32_MAX)));
    rows.insert(rows.end(), a.data(), a.data() + a.size());
  }
  EnrollOptions options;
  options.insecure_seed = seed_of(insecure_seed);
  CombineOptions combine;
  combine.outlier_deg = outlier_deg;
  std::vector<std::vector<uint8_t>> bytes(sizes.size());
  GroupEnrollment made;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    made = engine_->enroll_groups(rows.data(), sizes, options, combine);
    for (size_t g = 0; g < sizes.size(); ++g) bytes[g] = made.records[g].serialize();
    secure_zero(rows.data(), rows.size() * sizeof(float));
  }
  py::list dropped;  // indices within each person's array
  for (size_t g = 0; g < sizes.size(); ++g) {
    py::list d;
    for (size_t r : made.dropped[g]) d.append(r - first_row[g]);
    dropped.append(d);
  }
  return py::make_tuple(bytes_list(bytes), dropped);
}

py::array_t<uint8_t> PyEngine::verify_decisions(const FloatRows& templates, const py::sequence& records,
                                                uint32_t frames_per_probe, bool any_of, bool defer_checksum) {
  const size_t k = rows_of(templates, "templates");
  refuse_deferred_frames(defer_checksum, frames_per_probe);
  std::vector<Record> parsed = parse_records(records, defer_checksum);
  std::vector<Decision> decisions;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    // Only the per-call verification settles a pending checksum; frames refuse pending records.
    decisions = defer_checksum ? engine_->verify(templates.data(), k, parsed)
                               : engine_->verify_frames(templates.data(), k, parsed, frames_of(frames_per_probe, any_of));
  }
  py::array_t<uint8_t> out(static_cast<py::ssize_t>(decisions.size()));
  for (size_t i = 0; i < decisions.size(); ++i) out.mutable_data()[i] = static_cast<uint8_t>(decisions[i]);
  return out;
}

py::array_t<bool> PyEngine::verify(const FloatRows& templates, const py::sequence& records, uint32_t frames_per_probe,
                                   bool any_of, bool defer_checksum) {
  const auto codes = verify_decisions(templates, records, frames_per_probe, any_of, defer_checksum);
  py::array_t<bool> out(static_cast<py::ssize_t>(codes.size()));
  for (py::ssize_t i = 0; i < codes.size(); ++i)
    out.mutable_data()[i] = codes.data()[i] == static_cast<uint8_t>(Decision::Accept);
  return out;
}

py::list PyEngine::derive_keys(const FloatRows& templates, const py::sequence& records, const py::object& context,
                               uint32_t frames_per_probe, bool any_of, bool defer_checksum) {
  const size_t k = rows_of(templates, "templates");
  const std::string ctx = bytes_of(context, "context");
  refuse_deferred_frames(defer_checksum, frames_per_probe);
  std::vector<Record> parsed = parse_records(records, defer_checksum);
  std::vector<KeyedDecision> keyed;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    keyed = defer_checksum
                ? engine_->verify_and_derive(templates.data(), k, parsed, ctx)
                : engine_->verify_and_derive_frames(templates.data(), k, parsed, ctx, frames_of(frames_per_probe, any_of));
  }
  py::list out;
  for (const auto& kd : keyed) {
    if (kd.decision == Decision::Accept)
      out.append(py::bytes(reinterpret_cast<const char*>(kd.key.bytes().data()), kd.key.bytes().size()));
    else
      out.append(py::none());
  }
  return out;  // the SecretKeys in `keyed` wipe themselves; Python bytes cannot be wiped
}

py::list PyEngine::identify(const FloatRows& probes, const py::sequence& gallery, uint32_t frames_per_probe,
                            bool any_of) {
  const size_t k = rows_of(probes, "probes");
  std::vector<Record> parsed = parse_records(gallery);
  std::vector<std::vector<uint32_t>> hits;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    hits = engine_->identify_frames(probes.data(), k, parsed, frames_of(frames_per_probe, any_of));
  }
  py::list out;
  for (const auto& h : hits) out.append(py::cast(h));
  return out;
}

void register_engine(py::module_& m) {
  py::class_<PyEngine>(m, "Engine", R"doc(
IronMask engine on one backend.

Engine(m=512, n=None, alpha=16, dtype='f32', backend='auto', threads=0, expander=None, allow_weak=False, app_key=None,
       list_angle=0.0, list_max=4096, cuda_haar='auto', gallery_cap_bytes=0, identify_tensor_cores=False,
       cuda_chunk_hash_on_device=True, batch_size=0, device=0)

m: template dimension; n: code dimension (default: the expander's output, or m); alpha: nonzeros of
a codeword; dtype: 'f32' or 'f16' storage of P; backend: 'auto', 'cpu' or 'cuda'; threads: CPU
worker threads (0 = all cores); expander: path of an SMTE weights file; app_key: 32-byte secret application key (DESIGN §3): records made under one key are a MismatchError under
another or none, and records of one person under different keys cannot be linked. Enrolling through an expander
without app_key raises WeakParametersError (such records are invertible from the public expander) unless
allow_weak. allow_weak: accept codes under 80 bits and that enrollment (tests only). list_angle: list decoding
(degrees, 0 = off, at most 80): verification and identification also try every codeword within that angle of the
probe, best first, at most list_max (1 ... 1048576) per probe and record, so probes are accepted about as a cosine
matcher at that angle accepts them (impostors too); records are unchanged. CPU only: 'auto' then picks the CPU and
'cuda' raises InvalidArgumentError. batch_size: templates per backend call (0 = the backend's default; results do
not depend on it). device: CUDA device ordinal (>= 0). The CUDA switches are accepted and unused on the CPU:
cuda_haar: how Q is formed ('auto': compact WY up to n = 1024, cuSOLVER orgqr above; 'orgqr'; 'wy');
gallery_cap_bytes: at most this much device memory for a gallery's P during identify (0 = no cap);
identify_tensor_cores: identify f16 galleries on tensor cores (off until a GPU run has measured it);
cuda_chunk_hash_on_device: hash record chunks on the device (True) or on the host. Bad values raise
InvalidArgumentError naming the argument. Templates are float32 arrays of shape (k, m), one template per row.
An Engine may be shared by threads: calls on one engine run one at a time, without the GIL.)doc")
      .def(py::init<uint32_t, std::optional<uint32_t>, uint32_t, const std::string&, const std::string&, int,
                    std::optional<std::filesystem::path>, bool, const std::optional<py::bytes>&, double, int64_t,
                    const std::string&, int64_t, const py::object&, const py::object&, int64_t, int64_t>(),
           py::arg("m") = 512, py::arg("n") = py::none(), py::arg("alpha") = 16, py::arg("dtype") = "f32",
           py::arg("backend") = "auto", py::arg("threads") = 0, py::arg("expander") = py::none(),
           py::arg("allow_weak") = false, py::arg("app_key") = py::none(), py::arg("list_angle") = 0.0,
           py::arg("list_max") = 4096, py::arg("cuda_haar") = "auto", py::arg("gallery_cap_bytes") = 0,
           py::arg("identify_tensor_cores") = false, py::arg("cuda_chunk_hash_on_device") = true,
           py::arg("batch_size") = 0, py::arg("device") = 0)
      .def("enroll", &PyEngine::enroll, py::arg("templates"), py::arg("insecure_seed") = py::none(),
           "Enroll each row; returns one serialized record (bytes) per row. insecure_seed (32 bytes) "
           "derives every secret from the seed: INSECURE, tests and benchmarks only.")
      .def("enroll_mean", &PyEngine::enroll_mean, py::arg("samples"), py::arg("outlier_deg") = py::none(),
           py::arg("insecure_seed") = py::none(),
           "Multi-sample enrollment: samples is a list with one (k, m) array per person (k >= 1 images of "
           "that person); each person gets one record made from the normalized mean of its rows. "
           "outlier_deg drops a sample further than that angle from the mean of the person's other "
           "samples (persons with 3 or more). Returns (records, dropped): dropped[g] lists the rows of "
           "samples[g] that were left out. In insecure_seed mode person g uses template index g.")
      .def("verify", &PyEngine::verify, py::arg("templates"), py::arg("records"), py::arg("frames_per_probe") = 1,
           py::arg("any_of") = false, py::arg("defer_checksum") = false,
           "Row i against records[i]; numpy bool array, True = accepted (a tampered record is False). "
           "frames_per_probe=K: rows [i*K, (i+1)*K) are the frames of probe i, verified as their "
           "normalized mean; any_of=True accepts when any frame is (about K times the false accept rate). "
           "defer_checksum=True: v2 records are parsed without hashing P; the engine checks each record's "
           "checksum from the P it verifies with before deciding (a mismatch is TAMPERED, never an accept "
           "or a key); worth it where engine.defers_checksums. Single-frame only.")
      .def("verify_decisions", &PyEngine::verify_decisions, py::arg("templates"), py::arg("records"),
           py::arg("frames_per_probe") = 1, py::arg("any_of") = false, py::arg("defer_checksum") = false,
           "As verify, with the codes REJECT, ACCEPT, TAMPERED (numpy uint8 array).")
      .def("derive_keys", &PyEngine::derive_keys, py::arg("templates"), py::arg("records"), py::arg("context"),
           py::arg("frames_per_probe") = 1, py::arg("any_of") = false, py::arg("defer_checksum") = false,
           "As verify; returns the 32-byte key bound to context (bytes or str) for each accepted probe, "
           "None otherwise. Keys are secrets: do not log or persist them.")
      .def("identify", &PyEngine::identify, py::arg("probes"), py::arg("gallery"), py::arg("frames_per_probe") = 1,
           py::arg("any_of") = false,
           "1:N: for each probe (a row, or frames_per_probe rows), the ascending indices of the gallery "
           "records that accept it.")
      .def_property_readonly("m", [](const PyEngine& e) { return e.params().m; })
      .def_property_readonly("n", [](const PyEngine& e) { return e.params().n; })
      .def_property_readonly("alpha", [](const PyEngine& e) { return e.params().alpha; })
      .def_property_readonly("backend", &PyEngine::backend_name)
      .def_property_readonly("device_name", &PyEngine::device_name)
      .def_property_readonly("defers_checksums", &PyEngine::defers_checksums,
                             "True when verification checks a deferred checksum where it reads P anyway (CUDA "
                             "with chunk hashing on the device): then defer_checksum=True saves a pass over P. "
                             "False on the CPU, where it only moves that pass.");
}

}  // namespace spheremask::python
