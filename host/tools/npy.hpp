// .npy files (format 1.0-3.0): float32 C-order 2-D matrices, read memory-mapped so inputs of any size
// stream from disk; written atomically (temporary file + rename).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace spheremask {

class NpyMatrix {
 public:
  // Throws Error{InvalidArgument | Io} naming the file and what is wrong (dtype, shape, order, size).
  static NpyMatrix open(const std::string& path);
  NpyMatrix(NpyMatrix&& other) noexcept;
  NpyMatrix& operator=(NpyMatrix&& other) noexcept;
  NpyMatrix(const NpyMatrix&) = delete;
  NpyMatrix& operator=(const NpyMatrix&) = delete;
  ~NpyMatrix();

  size_t rows() const { return rows_; }
  size_t cols() const { return cols_; }
  const float* data() const { return data_; }
  const float* row(size_t i) const { return data_ + i * cols_; }

 private:
  NpyMatrix() = default;
  void* map_ = nullptr;
  size_t map_size_ = 0;
  const float* data_ = nullptr;
  size_t rows_ = 0, cols_ = 0;
};

void write_npy_f32(const std::string& path, const float* data, size_t rows, size_t cols);

// Whole-file helpers used by the CLI; write_file_atomic writes a temporary file, fsyncs and renames.
std::string read_file(const std::string& path);
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace spheremask
