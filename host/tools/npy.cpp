#include "tools/npy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "spheremask/detail/bytes.hpp"
#include "spheremask/error.hpp"

namespace spheremask {
namespace {

[[noreturn]] void bad(const std::string& path, const std::string& why) {
  throw Error(ErrorCode::InvalidArgument, path + ": " + why);
}
[[noreturn]] void io(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::Io, path + ": " + what + ": " + std::strerror(errno));
}

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<size_t> shape;
  size_t data_offset = 0;
};

Header parse_header(const std::string& path, const uint8_t* p, size_t size) {
  static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(p, magic, 6) != 0) bad(path, "not a .npy file (bad magic)");
  const uint8_t major = p[6];
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = detail::load_le16(p + 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) bad(path, "truncated header");
    header_len = detail::load_le32(p + 8);
    offset = 12;
  } else {
    bad(path, "unsupported .npy version " + std::to_string(major));
  }
  if (offset + header_len > size) bad(path, "truncated header");
  const std::string h(reinterpret_cast<const char*>(p + offset), header_len);
  Header out;
  out.data_offset = offset + header_len;
  std::smatch m;
  if (!std::regex_search(h, m, std::regex(R"('descr'\s*:\s*'([^']*)')"))) bad(path, "header has no 'descr'");
  out.descr = m[1];
  if (!std::regex_search(h, m, std::regex(R"('fortran_order'\s*:\s*(True|False))"))) bad(path, "header has no 'fortran_order'");
  out.fortran = m[1] == "True";
  if (!std::regex_search(h, m, std::regex(R"('shape'\s*:\s*\(([^)]*)\))"))) bad(path, "header has no 'shape'");
  std::stringstream dims(m[1].str());
  std::string item;
  while (std::getline(dims, item, ',')) {
    const auto first = item.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    const auto last = item.find_last_not_of(" \tL");
    const std::string digits = item.substr(first, last - first + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos)
      bad(path, "malformed shape entry '" + item + "'");
    out.shape.push_back(std::stoull(digits));
  }
  return out;
}

}  // namespace

NpyMatrix NpyMatrix::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io(path, "cannot open");
  struct stat st {};
  if (fstat(fd, &st) != 0) { ::close(fd); io(path, "cannot stat"); }
  NpyMatrix mat;
  mat.map_size_ = size_t(st.st_size);
  if (mat.map_size_ == 0) { ::close(fd); bad(path, "empty file"); }
  void* map = mmap(nullptr, mat.map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) io(path, "cannot map");
  mat.map_ = map;
  const auto* bytes = static_cast<const uint8_t*>(map);
  const Header h = parse_header(path, bytes, mat.map_size_);
  if (h.descr != "<f4")
    bad(path, "dtype '" + h.descr + "' is not float32 ('<f4'); convert with numpy: x.astype(np.float32)");
  if (h.fortran) bad(path, "Fortran-ordered arrays are not supported; save a C-ordered array");
  if (h.shape.size() != 2)
    bad(path, "expected a 2-D array (rows × dimension), got " + std::to_string(h.shape.size()) + " dimensions");
  mat.rows_ = h.shape[0];
  mat.cols_ = h.shape[1];
  if (mat.cols_ == 0) bad(path, "rows have dimension 0");
  if (mat.rows_ > (mat.map_size_ / 4) / mat.cols_ + 1) bad(path, "shape does not fit the file");
  const size_t need = h.data_offset + mat.rows_ * mat.cols_ * 4;
  if (mat.map_size_ < need)
    bad(path, "truncated data: " + std::to_string(mat.map_size_) + " bytes, shape needs " + std::to_string(need));
  if (h.data_offset % 4 != 0) bad(path, "data is not 4-byte aligned");
  mat.data_ = reinterpret_cast<const float*>(bytes + h.data_offset);
  return mat;
}

NpyMatrix::NpyMatrix(NpyMatrix&& o) noexcept { *this = std::move(o); }
NpyMatrix& NpyMatrix::operator=(NpyMatrix&& o) noexcept {
  if (this != &o) {
    if (map_) munmap(map_, map_size_);
    map_ = o.map_; map_size_ = o.map_size_; data_ = o.data_; rows_ = o.rows_; cols_ = o.cols_;
    o.map_ = nullptr; o.data_ = nullptr; o.map_size_ = o.rows_ = o.cols_ = 0;
  }
  return *this;
}
NpyMatrix::~NpyMatrix() {
  if (map_) munmap(map_, map_size_);
}

void write_npy_f32(const std::string& path, const float* data, size_t rows, size_t cols) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "), }";
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  uint8_t fixed[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  detail::store_le16(fixed + 8, uint16_t(dict.size()));
  std::string out(reinterpret_cast<const char*>(fixed), sizeof fixed);
  out += dict;
  out.append(reinterpret_cast<const char*>(data), rows * cols * 4);
  write_file_atomic(path, out.data(), out.size());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) io(path, "cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) io(path, "read failed");
  return ss.str();
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) io(tmp, "cannot create");
  const auto* p = static_cast<const uint8_t*>(data);
  size_t left = size;
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      ::close(fd); ::unlink(tmp.c_str()); io(tmp, "write failed");
    }
    p += w;
    left -= size_t(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) { ::unlink(tmp.c_str()); io(tmp, "sync failed"); }
  if (::rename(tmp.c_str(), path.c_str()) != 0) { ::unlink(tmp.c_str()); io(path, "rename failed"); }
}

}  // namespace spheremask
