#include "errors.hpp"

#include <array>
#include <string>

#include "spheremask/error.hpp"

namespace py = pybind11;

namespace spheremask::python {

namespace {

struct ErrorClass {
  ErrorCode code;
  const char* name;
  PyObject* extra_base;  // a built-in the error also is, so generic `except ValueError` works
};

// Classes live as long as the interpreter (the module holds a reference too).
PyObject* g_base = nullptr;
std::array<PyObject*, 16> g_by_code{};

PyObject* class_for(ErrorCode code) {
  const auto i = static_cast<size_t>(code);
  return i < g_by_code.size() && g_by_code[i] ? g_by_code[i] : g_base;
}

}  // namespace

void register_errors(py::module_& m) {
  g_base = PyErr_NewExceptionWithDoc("spheremask.Error",
                                     "Error raised by the spheremask engine; `code` is the numeric error code.",
                                     PyExc_Exception, nullptr);
  if (!g_base) throw py::error_already_set();
  PyObject_SetAttrString(g_base, "code", py::int_(0).ptr());
  m.add_object("Error", py::handle(g_base));

  const ErrorClass classes[] = {
      {ErrorCode::InvalidArgument, "InvalidArgumentError", PyExc_ValueError},
      {ErrorCode::InvalidRecord, "InvalidRecordError", PyExc_ValueError},
      {ErrorCode::Tampered, "TamperedError", nullptr},
      {ErrorCode::WeakParameters, "WeakParametersError", PyExc_ValueError},
      {ErrorCode::Mismatch, "MismatchError", PyExc_ValueError},
      {ErrorCode::Crypto, "CryptoError", nullptr},
      {ErrorCode::Io, "IoError", PyExc_OSError},
      {ErrorCode::Backend, "BackendError", nullptr},
      {ErrorCode::Unavailable, "UnavailableError", nullptr},
      {ErrorCode::Store, "StoreError", nullptr},
  };
  for (const auto& c : classes) {
    const std::string qualified = std::string("spheremask.") + c.name;
    py::tuple bases = c.extra_base ? py::make_tuple(py::handle(g_base), py::handle(c.extra_base))
                                   : py::make_tuple(py::handle(g_base));
    PyObject* cls = PyErr_NewException(qualified.c_str(), bases.ptr(), nullptr);
    if (!cls) throw py::error_already_set();
    PyObject_SetAttrString(cls, "code", py::int_(static_cast<int>(c.code)).ptr());
    g_by_code[static_cast<size_t>(c.code)] = cls;
    m.add_object(c.name, py::handle(cls));
  }

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      PyErr_SetString(class_for(e.code()), e.what());
    }
  });
}

}  // namespace spheremask::python
