// spheremask.Error and one subclass per spheremask::ErrorCode, raised from C++ exceptions.
#pragma once
#include <pybind11/pybind11.h>

namespace spheremask::python {

// Creates the exception classes in `m` and installs the C++ -> Python translator.
void register_errors(pybind11::module_& m);

}  // namespace spheremask::python
