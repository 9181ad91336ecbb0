// Internals of the C API: what its opaque handles hold, and the guard that turns every C++
// exception into a status code plus a thread-local message.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander.hpp"
#include "spheremask/record.hpp"
#include "spheremask/spheremask.h"
#include "spheremask/store.hpp"

struct sm_expander {
  std::shared_ptr<const spheremask::Expander> impl;
};
struct sm_params {
  spheremask::Params impl;
  spheremask::EngineOptions engine_options;  // CUDA switches, list decoding; sm_engine_create adds threads and device
};
struct sm_engine {
  std::unique_ptr<spheremask::Engine> impl;
};
struct sm_records {
  std::vector<spheremask::Record> impl;  // contiguous: the engine reads them as one span
};
struct sm_store {
  spheremask::Store impl;
};
struct sm_matches {
  std::vector<size_t> offsets;
  std::vector<uint32_t> indices;
};

namespace spheremask::capi {

// A failure that only the C API has (SM_ERR_BUFFER_TOO_SMALL, ...), carried to guarded().
class StatusError : public std::runtime_error {
 public:
  StatusError(sm_status status, const std::string& message) : std::runtime_error(message), status_(status) {}
  sm_status status() const noexcept { return status_; }

 private:
  sm_status status_;
};

void clear_error() noexcept;
sm_status fail(sm_status status, const char* message) noexcept;

// Runs f; SM_OK and a cleared message on success, otherwise the error's code and message.
template <class F>
sm_status guarded(F&& f) noexcept {
  try {
    std::forward<F>(f)();
    clear_error();
    return SM_OK;
  } catch (const Error& e) {
    return fail(static_cast<sm_status>(e.code()), e.what());
  } catch (const StatusError& e) {
    return fail(e.status(), e.what());
  } catch (const std::bad_alloc&) {
    return fail(SM_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception& e) {
    return fail(SM_ERR_INTERNAL, e.what());
  } catch (...) {
    return fail(SM_ERR_INTERNAL, "unknown exception");
  }
}

// Throws Error{InvalidArgument} naming the argument when p is null.
inline void require_capacity(size_t needed, size_t cap, const void* buf, const char* what) {
  if (buf == nullptr || cap < needed)
    throw StatusError(SM_ERR_BUFFER_TOO_SMALL, std::string(what) + " needs " + std::to_string(needed) +
                                                   " bytes, the buffer has " + std::to_string(buf ? cap : 0));
}

inline void require(const void* p, const char* name) {
  if (p == nullptr) throw Error(ErrorCode::InvalidArgument, std::string(name) + " is null");
}

// A C boolean switch: 0 or 1. Anything else is refused (naming the switch) rather than read as true, since
// a caller passing some other integer has most likely mixed up the arguments.
inline bool flag_of(int on, const char* name) {
  if (on != 0 && on != 1)
    throw Error(ErrorCode::InvalidArgument, std::string(name) + ": " + std::to_string(on) + " is not 0 or 1");
  return on == 1;
}

// Per-probe hit lists flattened into an sm_matches (offsets + indices).
inline std::unique_ptr<sm_matches> matches_of(const std::vector<std::vector<uint32_t>>& hits) {
  auto m = std::make_unique<sm_matches>();
  m->offsets.reserve(hits.size() + 1);
  m->offsets.push_back(0);
  for (const auto& h : hits) {
    m->indices.insert(m->indices.end(), h.begin(), h.end());
    m->offsets.push_back(m->indices.size());
  }
  return m;
}

}  // namespace spheremask::capi
