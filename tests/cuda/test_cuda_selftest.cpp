// The detail/ helpers inside a <<<1,1>>> kernel against the known answers (RFC 8439, FIPS 180-4,
// /work/shared/spec/golden.json), exactly as the g++ tests check the same code on the host.
#include <cstring>
#include <string>

#include "cuda/core/cuda_selftest.hpp"
#include "support/backends.hpp"
#include "crypto/keyflow.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

using testing::from_hex32;
using testing::to_hex;

TEST(CudaDetailKernel, KnownAnswersInsideOneThreadKernel) {
  SM_SKIP_IF_UNAVAILABLE(Backend::Cuda);
  const auto key_c = from_hex32("d311da8b99773d3f50508521d4fd52d67622488bd6fddf967c0c2b0a0a6a669a");
  uint8_t salt[16];
  const auto salt32 = from_hex32("30c06047ad782ad7ad9eb1563f7ea394" + std::string(32, '0'));
  std::memcpy(salt, salt32.data(), 16);
  const internal::CudaDetailSelftest r = internal::cuda_detail_selftest(0, key_c.data(), salt);

  const uint32_t chacha[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
                               0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                               0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
  for (int i = 0; i < 16; ++i) EXPECT_EQ(r.chacha_block[i], chacha[i]) << "word " << i;

  const float g0to15[16] = {-1.027562141418457f,   0.612450897693634f,   -0.279838502407074f,  1.2056337594985962f,
                            0.38616806268692017f,  -1.2276029586791992f, -1.4027531147003174f, -0.6695385575294495f,
                            -0.21835651993751526f, -0.3885200023651123f, -1.0371372699737549f, 0.8301036953926086f,
                            0.1837061643600464f,   0.3797091245651245f,  0.9236490726470947f,  0.2865181267261505f};
  const float g_elements[5] = {g0to15[0], g0to15[1], -0.2799170911312103f, 0.7424534559249878f, -0.7762613296508789f};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(r.gaussian[i], g_elements[i], 1e-6f) << "element #" << i;
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(r.gaussian_range[i], g0to15[i], 1e-6f) << "element " << i;

  EXPECT_EQ(to_hex(r.sha256_abc, 32), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  const uint32_t indices[8] = {10, 22, 28, 29, 37, 45, 48, 56};
  const int signs[8] = {1, 1, -1, -1, 1, 1, 1, -1};
  ASSERT_EQ(r.sampled.n, 64u);
  ASSERT_EQ(r.sampled.alpha, 8u);
  for (int k = 0; k < 8; ++k) {
    EXPECT_EQ(r.sampled.index[k], indices[k]) << k;
    EXPECT_EQ(r.sampled.negative[k], signs[k] < 0 ? 1 : 0) << k;
  }
  EXPECT_EQ(to_hex(r.encoded, r.encoded_size),
            "534d435701004000000008000a000000160000001c0000001d000000250000002d00000030000000380000008c");
  EXPECT_EQ(to_hex(r.verifier, 32), "95f25940969cca0234e2b1e7105f15a35a2db2248d32f249e44c1b39073f2bfb");
  // The host library (OpenSSL) agrees on the same codeword.
  const auto host_verifier = keyflow::verifier(salt, r.sampled);
  EXPECT_EQ(to_hex(host_verifier.data(), 32), to_hex(r.verifier, 32));

  ASSERT_TRUE(r.decoded_ties_ok);
  EXPECT_EQ(r.decoded_ties.alpha, 3u);
  EXPECT_EQ(r.decoded_ties.index[0], 0u);
  EXPECT_EQ(r.decoded_ties.index[1], 1u);
  EXPECT_EQ(r.decoded_ties.index[2], 4u);
  EXPECT_EQ(r.decoded_ties.negative[0], 0);
  EXPECT_EQ(r.decoded_ties.negative[1], 1);
  EXPECT_EQ(r.decoded_ties.negative[2], 0);

  EXPECT_EQ(r.half_of_third, 0x3555);  // binary16 nearest to 1/3
  EXPECT_FLOAT_EQ(r.half_roundtrip, 0.333251953125f);
}

}  // namespace
}  // namespace spheremask
