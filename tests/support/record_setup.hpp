// Records for tests: an engine of any (n, α, dtype) with weak codes allowed (the format and the
// evaluation do not depend on the code's strength), and deterministic enrollment from the golden seed,
// so that a record's bytes are the same on every run and backend.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "spheremask/engine.hpp"
#include "spheremask/record.hpp"
#include "support/test_util.hpp"

namespace spheremask::testing {

// m = n (strength as the code has it: make_engine refuses codes under 80 bits unless allow_weak).
inline Params square_params(uint32_t n, uint32_t alpha, Dtype d = Dtype::F32) {
  Params p;
  p.m = p.n = n;
  p.alpha = alpha;
  p.dtype = d;
  return p;
}

// m = n, weak codes allowed (tests choose n and α for speed, not strength).
inline std::unique_ptr<Engine> square_engine(uint32_t n, uint32_t alpha, Backend b = Backend::Cpu,
                                             Dtype d = Dtype::F32) {
  Params p = square_params(n, alpha, d);
  p.allow_weak = true;
  return make_engine(p, b);
}

// count rows of t enrolled under the golden seed; record i takes stream index first + i.
inline std::vector<Record> enroll_deterministic(Engine& e, const std::vector<float>& t, size_t count,
                                                uint64_t first = 0) {
  EnrollOptions eo;
  eo.insecure_seed = golden_seed();
  eo.first_index = first;
  return e.enroll(t.data(), count, eo);
}

}  // namespace spheremask::testing
