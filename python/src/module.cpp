// The Python module `spheremask`: Engine, error classes, sealing and small utilities.
#include <pybind11/pybind11.h>

#include <string>

#include "errors.hpp"
#include "py_engine.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"
#include "spheremask/params.hpp"
#include "spheremask/version.h"

namespace py = pybind11;
using namespace spheremask;

namespace {

SecretKey key_of(const py::bytes& key) {
  std::string k = key;
  if (k.size() != 32) throw Error(ErrorCode::InvalidArgument, "key must be 32 bytes");
  SecretKey out(std::span<const uint8_t, 32>(reinterpret_cast<const uint8_t*>(k.data()), 32));
  secure_zero(k.data(), k.size());
  return out;
}

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

py::bytes seal_py(const py::bytes& key, const py::bytes& data, const py::bytes& aad) {
  const SecretKey k = key_of(key);
  const std::string d = data, a = aad;
  std::vector<uint8_t> sealed;
  {
    py::gil_scoped_release nogil;
    sealed = seal(k, span_of(d), span_of(a));
  }
  return py::bytes(reinterpret_cast<const char*>(sealed.data()), sealed.size());
}

py::bytes open_py(const py::bytes& key, const py::bytes& sealed, const py::bytes& aad) {
  const SecretKey k = key_of(key);
  const std::string s = sealed, a = aad;
  std::vector<uint8_t> plain;
  {
    py::gil_scoped_release nogil;
    plain = open_sealed(k, span_of(s), span_of(a));
  }
  py::bytes out(reinterpret_cast<const char*>(plain.data()), plain.size());
  secure_zero(plain.data(), plain.size());
  return out;
}

}  // namespace

PYBIND11_MODULE(spheremask, m) {
  m.doc() = "spheremask: protected face templates (IronMask) on CPU and GPU";
  m.attr("__version__") = SM_VERSION_STRING;
  m.attr("REJECT") = static_cast<int>(Decision::Reject);
  m.attr("ACCEPT") = static_cast<int>(Decision::Accept);
  m.attr("TAMPERED") = static_cast<int>(Decision::Tampered);
  python::register_errors(m);
  python::register_engine(m);
  m.def("seal", &seal_py, py::arg("key"), py::arg("data"), py::arg("aad") = py::bytes(),
        "Encrypt and authenticate data under a 32-byte key (AES-256-GCM); aad is bound, not stored.");
  m.def("open_sealed", &open_py, py::arg("key"), py::arg("sealed"), py::arg("aad") = py::bytes(),
        "Inverse of seal; raises CryptoError on a wrong key, aad or modified payload.");
  m.def("code_bits", &code_bits, py::arg("n"), py::arg("alpha"), "log2(binom(n, alpha)) + alpha");
  m.def("cuda_device_count", &cuda_device_count, "Usable CUDA devices (0 without CUDA, driver or device).");
}
