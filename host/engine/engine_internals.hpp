// Library-internal access to an Engine's backend, for code that runs backend arithmetic directly
// (the attack drivers' application transform, tests of one backend). Not installed: the public header
// only declares this struct as a friend, so no BackendImpl method is reachable through include/.
#pragma once
#include "backend/backend_impl.hpp"
#include "spheremask/engine.hpp"

namespace spheremask::internal {

struct EngineInternals {
  static BackendImpl& backend(Engine& engine) { return *engine.backend_; }
};

}  // namespace spheremask::internal
