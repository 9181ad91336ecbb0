// .npy reading (NpyMatrix::open, memory-mapped): an accepted file's shape fits inside the file and
// every value is readable; a rejected one is Error{InvalidArgument} naming the file.
#include <unistd.h>

#include "fuzz_common.hpp"
#include "tools/npy.hpp"

using namespace spheremask;

namespace {
const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/spheremask-fuzz-npy-" + std::to_string(::getpid()) + ".npy";
  }();
  return path;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto in = fuzz::split(data, size);
  const std::string& path = scratch_path();
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) fuzz::violated("scratch file", path);
    if (!in.bytes.empty()) std::fwrite(in.bytes.data(), 1, in.bytes.size(), f);
    std::fclose(f);
  }
  try {
    const NpyMatrix m = NpyMatrix::open(path);
    FUZZ_CHECK(m.cols() > 0, "zero columns accepted");
    FUZZ_CHECK(m.rows() <= in.bytes.size() / 4 / m.cols(), "shape larger than the file");
    float sum = 0;  // touches every value: AddressSanitizer reports any read past the mapping
    for (size_t i = 0; i < m.rows(); ++i)
      for (size_t j = 0; j < m.cols(); ++j) sum += m.row(i)[j] * 0.0f;
    FUZZ_CHECK(sum == 0.0f || sum != sum, "unreachable");
  } catch (const Error& e) {
    fuzz::expect_error(e, ErrorCode::InvalidArgument, path + ": ");
  }
  ::unlink(path.c_str());
  return 0;
}
