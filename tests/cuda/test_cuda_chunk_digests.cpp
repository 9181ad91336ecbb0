// The device chunk-digest kernel (cuda/format/chunk_hash_kernels.cu) through the backend interface:
// the digests of the P a verification uploads and of the P an enrollment forms, against the CPU chunk
// digests (OpenSSL), in every chunk-boundary case of P, several records per call (f16 records of odd n
// then start at odd device offsets and take the byte-load path; the others the 16-byte one).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "backend/backend_impl.hpp"
#include "crypto/crypto.hpp"
#include "format/chunk_digests.hpp"
#include "format/digest_tree.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/detail/codeword.hpp"
#include "support/record_setup.hpp"
#include "support/backends.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::to_hex;

std::vector<crypto::Digest> cpu_digests(std::span<const uint8_t> p) {
  std::vector<crypto::Digest> d(format::chunk_count(p.size()));
  format::chunk_digests(p, d.data(), 1, crypto::HashImpl::Portable);
  return d;
}

TEST(CudaChunkDigests, UploadedPMatchesCpuInEveryBoundaryCase) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto gpu = internal::make_cuda_backend({});
  ASSERT_TRUE(gpu->hashes_chunks());
  const std::vector<uint32_t> ns = {2, 3, 63, 64, 65, 90, 91, 128, 181, 256, 362, 363, 512, 1000, 1024, 2048, 4096};
  std::mt19937 rng(3);
  for (Dtype d : {Dtype::F32, Dtype::F16})
    for (uint32_t n : ns) {
      SCOPED_TRACE("n = " + std::to_string(n) + (d == Dtype::F32 ? " f32" : " f16"));
      const size_t pb = size_t(n) * n * dtype_size(d);
      const size_t count = pb <= (size_t(4) << 20) ? 5 : 2;
      std::vector<std::vector<uint8_t>> p(count, std::vector<uint8_t>(pb));
      for (auto& m : p)
        for (auto& x : m) x = uint8_t(rng());
      const auto t = testing::random_unit_rows(count, n, n);
      const uint8_t salt[16] = {};
      const uint8_t verifier[32] = {};
      std::vector<std::vector<crypto::Digest>> got(count, std::vector<crypto::Digest>(format::chunk_count(pb)));
      std::vector<internal::VerifyItem> items(count);
      for (size_t i = 0; i < count; ++i)
        items[i] = {p[i].data(), t.data() + i * n, salt, verifier, i == 1 ? nullptr : got[i].data()};
      std::vector<uint8_t> match(count);
      std::vector<detail::Codeword> cw(count);
      gpu->verify(items, n, 1, d, match.data(), cw.data());
      for (size_t i = 0; i < count; ++i) {
        if (i == 1) continue;  // not asked for
        const auto want = cpu_digests(p[i]);
        for (size_t c = 0; c < want.size(); ++c)
          ASSERT_EQ(to_hex(got[i][c]), to_hex(want[c])) << "record " << i << " chunk " << c;
      }
    }
}

TEST(CudaChunkDigests, EnrollmentReturnsTheDigestsOfItsP) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  auto gpu = internal::make_cuda_backend({});
  for (Dtype d : {Dtype::F32, Dtype::F16})
    for (uint32_t n : {90u, 181u, 512u, 1000u}) {
      SCOPED_TRACE("n = " + std::to_string(n) + (d == Dtype::F32 ? " f32" : " f16"));
      const size_t count = 4, pb = size_t(n) * n * dtype_size(d);
      const auto u = testing::random_unit_rows(count, n, n + 1);
      std::vector<std::array<uint8_t, 32>> keys(count);
      std::vector<detail::Codeword> c(count);
      std::vector<std::vector<uint8_t>> p(count, std::vector<uint8_t>(pb));
      std::vector<std::vector<crypto::Digest>> got(count, std::vector<crypto::Digest>(format::chunk_count(pb)));
      std::vector<internal::EnrollItem> items(count);
      for (size_t i = 0; i < count; ++i) {
        for (size_t k = 0; k < 32; ++k) keys[i][k] = uint8_t(i * 32 + k + n);
        detail::sample_codeword(keys[i].data(), n, 16, &c[i]);
        items[i] = {u.data() + i * n, keys[i].data(), &c[i], p[i].data(), got[i].data()};
      }
      std::vector<uint8_t> status(count, 9);
      gpu->enroll(items, n, d, status.data());
      for (size_t i = 0; i < count; ++i) {
        ASSERT_EQ(status[i], internal::kEnrollOk);
        EXPECT_EQ(got[i], cpu_digests(p[i])) << "record " << i;
      }
      for (auto& w : c) w.wipe();
    }
}

// Deterministic mode: the CUDA engine's records have the CPU's header bytes (P agrees only within 1e-4,
// so records are not byte-identical); their root is the one the CPU hashes from the P they carry, and
// each backend accepts the other's records parsed with the full CPU checksum check.
TEST(CudaChunkDigests, DeterministicEnrollmentHasTheCpuHeaderAndTheRootOfItsP) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  for (Dtype d : {Dtype::F32, Dtype::F16}) {
    SCOPED_TRACE(d == Dtype::F32 ? "f32" : "f16");
    const Params params = testing::square_params(512, 16, d);
    auto cpu = make_engine(params, Backend::Cpu);
    auto gpu = make_engine(params, Backend::Cuda);
    EnrollOptions options;
    options.insecure_seed = std::array<uint8_t, 32>{7};
    const size_t count = 6;
    const auto t = testing::random_unit_rows(count, 512, 21);
    const auto from_cpu = cpu->enroll(t.data(), count, options);
    const auto from_gpu = gpu->enroll(t.data(), count, options);
    std::vector<Record> parsed;
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(from_gpu[i].header(), from_cpu[i].header()) << "record " << i;
      const auto root = format::digest_tree_root(from_gpu[i].header(), cpu_digests(from_gpu[i].p));
      EXPECT_EQ(to_hex(from_gpu[i].checksum()), to_hex(root)) << "record " << i;
      parsed.push_back(Record::parse(from_gpu[i].serialize()));
    }
    for (Engine* e : {cpu.get(), gpu.get()})
      for (Decision dec : e->verify(t.data(), count, parsed)) EXPECT_EQ(dec, Decision::Accept);
  }
}

}  // namespace
}  // namespace spheremask
