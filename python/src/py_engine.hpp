// spheremask.Engine: the C++ engine on numpy arrays and bytes records. Calls release the GIL while
// the engine works; a per-engine lock keeps two Python threads from using it at once.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "spheremask/engine.hpp"

namespace spheremask::python {

namespace py = pybind11;
using FloatRows = py::array_t<float, py::array::c_style | py::array::forcecast>;

class PyEngine {
 public:
  PyEngine(uint32_t m, std::optional<uint32_t> n, uint32_t alpha, const std::string& dtype, const std::string& backend,
           int threads, std::optional<std::filesystem::path> expander, bool allow_weak,
           const std::optional<py::bytes>& app_key, double list_angle, int64_t list_max, const std::string& cuda_haar,
           int64_t gallery_cap_bytes, const py::object& identify_tensor_cores,
           const py::object& cuda_chunk_hash_on_device, int64_t batch_size, int64_t device);

  py::list enroll(const FloatRows& templates, const std::optional<py::bytes>& insecure_seed);
  // Multi-sample enrollment: one record per array of samples (k × m); returns (records, dropped).
  py::tuple enroll_mean(const py::sequence& samples, std::optional<double> outlier_deg,
                        const std::optional<py::bytes>& insecure_seed);
  // frames_per_probe consecutive rows make one probe (their normalized mean, or any_of the frames).
  py::array_t<uint8_t> verify_decisions(const FloatRows& templates, const py::sequence& records,
                                        uint32_t frames_per_probe, bool any_of, bool defer_checksum);
  py::array_t<bool> verify(const FloatRows& templates, const py::sequence& records, uint32_t frames_per_probe,
                           bool any_of, bool defer_checksum);
  py::list derive_keys(const FloatRows& templates, const py::sequence& records, const py::object& context,
                       uint32_t frames_per_probe, bool any_of, bool defer_checksum);
  py::list identify(const FloatRows& probes, const py::sequence& gallery, uint32_t frames_per_probe, bool any_of);

  const Params& params() const { return engine_->params(); }
  std::string backend_name() const;
  std::string device_name() const { return engine_->device_name(); }
  bool defers_checksums() const { return engine_->defers_checksums(); }

 private:
  size_t rows_of(const FloatRows& templates, const char* what) const;
  // Caller holds the GIL. defer_checksum: ParseOptions::defer_checksum (v2 records' roots settled by verify).
  std::vector<Record> parse_records(const py::sequence& records, bool defer_checksum = false) const;

  std::unique_ptr<Engine> engine_;
  std::mutex mutex_;  // Engine is not thread-safe
};

void register_engine(py::module_& m);

}  // namespace spheremask::python
