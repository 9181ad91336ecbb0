// .npy input (float32, C order, 2-D): round trip, and clear rejection of everything else.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tools/npy.hpp"
#include "spheremask/error.hpp"
#include "support/test_util.hpp"

namespace spheremask {
namespace {

namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("spheremask_npy_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A version-1 .npy file with the given header dict (padded to 64 bytes like numpy) and payload.
  std::string write_raw(const std::string& name, const std::string& dict, const std::string& payload,
                        int major = 1) {
    std::string h = dict;
    const size_t prefix = major == 1 ? 10 : 12;
    const size_t unpadded = prefix + h.size() + 1;
    h.append((64 - unpadded % 64) % 64, ' ');
    h.push_back('\n');
    std::string out = "\x93NUMPY";
    out.push_back(char(major));
    out.push_back(0);
    out.push_back(char(h.size() & 0xff));
    out.push_back(char((h.size() >> 8) & 0xff));
    if (major != 1) { out.push_back(0); out.push_back(0); }
    out += h + payload;
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary).write(out.data(), std::streamsize(out.size()));
    return p;
  }

  static std::string floats(size_t count, float start = 0.5f) {
    std::string s(count * 4, '\0');
    for (size_t i = 0; i < count; ++i) {
      const float v = start + float(i);
      std::memcpy(s.data() + 4 * i, &v, 4);
    }
    return s;
  }

  // The InvalidArgument message for opening p, which must name the file and contain `what`.
  void expect_rejected(const std::string& p, const std::string& what) {
    try {
      NpyMatrix::open(p);
      ADD_FAILURE() << p << " was accepted; expected an error mentioning '" << what << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
      const std::string msg = e.what();
      EXPECT_NE(msg.find(p), std::string::npos) << "message does not name the file: " << msg;
      EXPECT_NE(msg.find(what), std::string::npos) << "expected '" << what << "' in: " << msg;
    }
  }

  fs::path dir_;
};

TEST_F(NpyTest, WriteThenOpenRoundTrip) {
  const auto data = testing::random_unit_rows(7, 33, 1);
  const std::string p = path("m.npy");
  write_npy_f32(p, data.data(), 7, 33);
  const auto m = NpyMatrix::open(p);
  ASSERT_EQ(m.rows(), 7u);
  ASSERT_EQ(m.cols(), 33u);
  for (size_t i = 0; i < data.size(); ++i) ASSERT_EQ(m.data()[i], data[i]);
  EXPECT_EQ(m.row(3)[5], data[3 * 33 + 5]);
  // The header is what numpy writes: 64-byte aligned, data right after it.
  const std::string raw = read_file(p);
  EXPECT_EQ(raw.size() % 64, (7 * 33 * 4) % 64);
  EXPECT_NE(raw.find("'descr': '<f4'"), std::string::npos);
  EXPECT_NE(raw.find("'shape': (7, 33)"), std::string::npos);
  // No temporary files left behind by the atomic write.
  size_t files = 0;
  for ([[maybe_unused]] const auto& f : fs::directory_iterator(dir_)) ++files;
  EXPECT_EQ(files, 1u);
  // Move keeps the mapping valid.
  NpyMatrix moved = NpyMatrix::open(p);
  NpyMatrix other = std::move(moved);
  EXPECT_EQ(other.rows(), 7u);
  EXPECT_EQ(other.data()[0], data[0]);
}

TEST_F(NpyTest, AcceptsNumpyHeaderVariants) {
  // numpy writes "(3, 2)" with 1.0 headers; version 2.0 headers and extra spaces are fine too.
  auto p = write_raw("v1.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", floats(6));
  auto m = NpyMatrix::open(p);
  EXPECT_EQ(m.rows(), 3u);
  EXPECT_EQ(m.cols(), 2u);
  EXPECT_EQ(m.row(2)[1], 5.5f);
  p = write_raw("v2.npy", "{'shape': (2,3), 'fortran_order': False, 'descr': '<f4'}", floats(6), 2);
  m = NpyMatrix::open(p);
  EXPECT_EQ(m.rows(), 2u);
  EXPECT_EQ(m.cols(), 3u);
}

TEST_F(NpyTest, RejectsWrongDtype) {
  expect_rejected(write_raw("f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", floats(8)), "'<f8'");
  expect_rejected(write_raw("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", floats(4)), "'>f4'");
  expect_rejected(write_raw("i4.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", floats(4)), "dtype");
  expect_rejected(write_raw("f2.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", floats(2)), "float32");
}

TEST_F(NpyTest, RejectsWrongShapes) {
  expect_rejected(write_raw("1d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", floats(6)), "2-D");
  expect_rejected(write_raw("3d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 1), }", floats(6)), "2-D");
  expect_rejected(write_raw("0d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", floats(1)), "2-D");
  expect_rejected(write_raw("c0.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 0), }", ""), "dimension 0");
  expect_rejected(write_raw("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }", floats(2)), "shape");
  // Sizes whose product overflows must not wrap around into a "valid" small size.
  expect_rejected(write_raw("huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
                            floats(4)),
                  "");
}

TEST_F(NpyTest, RejectsFortranOrder) {
  expect_rejected(write_raw("f.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", floats(4)), "Fortran");
}

TEST_F(NpyTest, RejectsTruncatedData) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }";
  expect_rejected(write_raw("t11.npy", dict, floats(11)), "truncated");
  expect_rejected(write_raw("t0.npy", dict, ""), "truncated");
  auto p = write_raw("t1.npy", dict, floats(12).substr(0, 47));
  expect_rejected(p, "truncated");
  EXPECT_NO_THROW(NpyMatrix::open(write_raw("ok.npy", dict, floats(12))));
}

TEST_F(NpyTest, RejectsBadMagicAndHeaders) {
  auto write_bytes = [&](const std::string& name, const std::string& bytes) {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return p;
  };
  expect_rejected(write_bytes("magic.npy", std::string("\x93NUMPZ\x01\x00\x10\x00", 10) + "{}              \n"), "magic");
  expect_rejected(write_bytes("text.npy", "hello, this is not a numpy file at all"), "magic");
  expect_rejected(write_bytes("short.npy", "\x93NUM"), "magic");
  expect_rejected(write_bytes("empty.npy", ""), "empty");
  // Header length pointing past the end of the file.
  expect_rejected(write_bytes("hlen.npy", std::string("\x93NUMPY\x01\x00\xff\x7f", 10) + "{'descr': '<f4'"), "truncated header");
  expect_rejected(write_bytes("ver.npy", std::string("\x93NUMPY\x09\x00\x10\x00", 10) + "{}             \n"), "version");
  expect_rejected(write_raw("nodescr.npy", "{'fortran_order': False, 'shape': (1, 1), }", floats(1)), "descr");
  expect_rejected(write_raw("noshape.npy", "{'descr': '<f4', 'fortran_order': False, }", floats(1)), "shape");
  expect_rejected(write_raw("noorder.npy", "{'descr': '<f4', 'shape': (1, 1), }", floats(1)), "fortran_order");
  expect_rejected(write_raw("badshape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, x), }", floats(1)), "shape");
}

TEST_F(NpyTest, MissingFileIsIoError) {
  try {
    NpyMatrix::open(path("does_not_exist.npy"));
    ADD_FAILURE() << "opened a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Io);
    EXPECT_NE(std::string(e.what()).find("does_not_exist.npy"), std::string::npos);
  }
}

}  // namespace
}  // namespace spheremask
