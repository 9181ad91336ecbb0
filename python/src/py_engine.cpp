#include "py_engine.hpp"

#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <cstring>

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

}  // namespace

PyEngine::PyEngine(uint32_t m, std::optional<uint32_t> n, uint32_t alpha, const std::string& dtype,
                   const std::string& backend, int threads, std::optional<std::filesystem::path> expander,
                   bool allow_weak, const std::optional<py::bytes>& app_key) {
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

std::vector<Record> PyEngine::parse_records(const py::sequence& records) const {
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
      out.push_back(Record::parse(views[i], params().allow_weak));
    } catch (const Error& e) {
      throw Error(e.code(), "record " + std::to_string(i) + ": " + e.what());
    }
  }
  return out;
}

py::list PyEngine::enroll(const FloatRows& templates, const std::optional<py::bytes>& insecure_seed) {
  const size_t k = rows_of(templates, "templates");
  EnrollOptions options;
  if (insecure_seed) {
    const std::string s = *insecure_seed;
    if (s.size() != 32) throw Error(ErrorCode::InvalidArgument, "insecure_seed must be 32 bytes");
    options.insecure_seed.emplace();
    std::memcpy(options.insecure_seed->data(), s.data(), 32);
  }
  std::vector<std::vector<uint8_t>> bytes(k);
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    const auto records = engine_->enroll(templates.data(), k, options);
    for (size_t i = 0; i < k; ++i) bytes[i] = records[i].serialize();
  }
  py::list out;
  for (const auto& b : bytes) out.append(py::bytes(reinterpret_cast<const char*>(b.data()), b.size()));
  return out;
}

py::array_t<uint8_t> PyEngine::verify_decisions(const FloatRows& templates, const py::sequence& records) {
  const size_t k = rows_of(templates, "templates");
  std::vector<Record> parsed = parse_records(records);
  std::vector<Decision> decisions;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    decisions = engine_->verify(templates.data(), k, parsed);
  }
  py::array_t<uint8_t> out(static_cast<py::ssize_t>(k));
  for (size_t i = 0; i < k; ++i) out.mutable_data()[i] = static_cast<uint8_t>(decisions[i]);
  return out;
}

py::array_t<bool> PyEngine::verify(const FloatRows& templates, const py::sequence& records) {
  const auto codes = verify_decisions(templates, records);
  py::array_t<bool> out(static_cast<py::ssize_t>(codes.size()));
  for (py::ssize_t i = 0; i < codes.size(); ++i)
    out.mutable_data()[i] = codes.data()[i] == static_cast<uint8_t>(Decision::Accept);
  return out;
}

py::list PyEngine::derive_keys(const FloatRows& templates, const py::sequence& records, const py::object& context) {
  const size_t k = rows_of(templates, "templates");
  const std::string ctx = bytes_of(context, "context");
  std::vector<Record> parsed = parse_records(records);
  std::vector<KeyedDecision> keyed;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    keyed = engine_->verify_and_derive(templates.data(), k, parsed, ctx);
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

py::list PyEngine::identify(const FloatRows& probes, const py::sequence& gallery) {
  const size_t k = rows_of(probes, "probes");
  std::vector<Record> parsed = parse_records(gallery);
  std::vector<std::vector<uint32_t>> hits;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(mutex_);
    hits = engine_->identify(probes.data(), k, parsed);
  }
  py::list out;
  for (const auto& h : hits) out.append(py::cast(h));
  return out;
}

void register_engine(py::module_& m) {
  py::class_<PyEngine>(m, "Engine", R"doc(
IronMask engine on one backend.

Engine(m=512, n=None, alpha=16, dtype='f32', backend='auto', threads=0, expander=None, allow_weak=False, app_key=None)

m: template dimension; n: code dimension (default: the expander's output, or m); alpha: nonzeros of
a codeword; dtype: 'f32' or 'f16' storage of P; backend: 'auto', 'cpu' or 'cuda'; threads: CPU
worker threads (0 = all cores); expander: path of an SMTE weights file; app_key: 32-byte secret application key (DESIGN §3): records made under one key are a MismatchError under
another or none, and records of one person under different keys cannot be linked. Enrolling through an expander
without app_key raises WeakParametersError (such records are invertible from the public expander) unless
allow_weak. allow_weak: accept codes under 80 bits and that enrollment (tests only). Templates are float32 arrays of shape (k, m), one template per row.
An Engine may be shared by threads: calls on one engine run one at a time, without the GIL.)doc")
      .def(py::init<uint32_t, std::optional<uint32_t>, uint32_t, const std::string&, const std::string&, int,
                    std::optional<std::filesystem::path>, bool, const std::optional<py::bytes>&>(),
           py::arg("m") = 512, py::arg("n") = py::none(), py::arg("alpha") = 16, py::arg("dtype") = "f32",
           py::arg("backend") = "auto", py::arg("threads") = 0, py::arg("expander") = py::none(),
           py::arg("allow_weak") = false, py::arg("app_key") = py::none())
      .def("enroll", &PyEngine::enroll, py::arg("templates"), py::arg("insecure_seed") = py::none(),
           "Enroll each row; returns one serialized record (bytes) per row. insecure_seed (32 bytes) "
           "derives every secret from the seed: INSECURE, tests and benchmarks only.")
      .def("verify", &PyEngine::verify, py::arg("templates"), py::arg("records"),
           "Row i against records[i]; numpy bool array, True = accepted (a tampered record is False).")
      .def("verify_decisions", &PyEngine::verify_decisions, py::arg("templates"), py::arg("records"),
           "As verify, with the codes REJECT, ACCEPT, TAMPERED (numpy uint8 array).")
      .def("derive_keys", &PyEngine::derive_keys, py::arg("templates"), py::arg("records"), py::arg("context"),
           "As verify; returns the 32-byte key bound to context (bytes or str) for each accepted row, "
           "None otherwise. Keys are secrets: do not log or persist them.")
      .def("identify", &PyEngine::identify, py::arg("probes"), py::arg("gallery"),
           "1:N: for each probe row, the ascending indices of the gallery records that accept it.")
      .def_property_readonly("m", [](const PyEngine& e) { return e.params().m; })
      .def_property_readonly("n", [](const PyEngine& e) { return e.params().n; })
      .def_property_readonly("alpha", [](const PyEngine& e) { return e.params().alpha; })
      .def_property_readonly("backend", &PyEngine::backend_name)
      .def_property_readonly("device_name", &PyEngine::device_name);
}

}  // namespace spheremask::python
