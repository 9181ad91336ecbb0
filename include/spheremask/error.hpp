// The one exception type of the library: a code callers can branch on and a message naming the
// failing input (row, field). The library never aborts and never prints.
#pragma once
#include <stdexcept>
#include <string>

#include "spheremask/export.hpp"

namespace spheremask {

enum class ErrorCode {
  InvalidArgument = 1,  // bad parameters or templates (the message names the row)
  InvalidRecord = 2,    // malformed or corrupted record / file (the message names the field)
  Tampered = 3,         // a record whose MAC fails after its codeword matched
  WeakParameters = 4,   // code below 80 bits without allow_weak
  Mismatch = 5,         // record made with other parameters, expander or application key
  Crypto = 6,           // OpenSSL failure, or authentication failure when opening a sealed payload
  Io = 7,               // file system
  Backend = 8,          // BLAS/LAPACK/CUDA failure (the message carries the library's error name)
  Unavailable = 9,      // backend not compiled in or no device
  Store = 10,           // embedded store
};

SPHEREMASK_API const char* error_code_name(ErrorCode code);

class SPHEREMASK_API Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace spheremask
