#include "spheremask/error.hpp"

namespace spheremask {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::InvalidRecord: return "invalid record";
    case ErrorCode::Tampered: return "tampered record";
    case ErrorCode::WeakParameters: return "weak parameters";
    case ErrorCode::Mismatch: return "mismatch";
    case ErrorCode::Crypto: return "crypto";
    case ErrorCode::Io: return "i/o";
    case ErrorCode::Backend: return "backend";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Store: return "store";
  }
  return "unknown";
}

}  // namespace spheremask
