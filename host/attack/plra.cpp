#include "attack/plra.hpp"

#include <cblas.h>
#include <lapacke.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>

#include "expander/expander_rng.hpp"
#include "crypto/keyflow.hpp"
#include "spheremask/detail/bytes.hpp"
#include "spheremask/detail/decode.hpp"
#include "spheremask/detail/half.hpp"
#include "spheremask/error.hpp"
#include "spheremask/keys.hpp"

namespace spheremask::attack {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// The unit vector x minimizing ‖A·x‖ (A: rows × n, row-major; destroyed): the eigenvector of AᵀA with
// the least eigenvalue. Returns false when LAPACK fails.
bool least_singular_vector(std::vector<double>& a, uint32_t rows, uint32_t n, std::vector<double>& gram,
                           double* x) {
  gram.assign(size_t(n) * n, 0.0);
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, int(n), int(rows), 1.0, a.data(), int(n), 0.0, gram.data(),
              int(n));
  lapack_int found = 0;
  double w[1];
  lapack_int support[2];
  const lapack_int info = LAPACKE_dsyevr(LAPACK_ROW_MAJOR, 'V', 'I', 'U', lapack_int(n), gram.data(), lapack_int(n),
                                         0.0, 0.0, 1, 1, 0.0, &found, w, x, 1, support);
  return info == 0 && found == 1;
}

// P of every record as float32, stacked: records × n × n.
std::vector<float> stacked_p(std::span<const Record> records, uint32_t n) {
  const size_t nn = size_t(n) * n;
  std::vector<float> p(records.size() * nn);
  for (size_t j = 0; j < records.size(); ++j) {
    const Record& r = records[j];
    float* out = p.data() + j * nn;
    if (r.dtype == Dtype::F32) {
      std::memcpy(out, r.p.data(), nn * sizeof(float));
    } else {
      for (size_t e = 0; e < nn; ++e)
        out[e] = detail::half_to_float(detail::load_le16(r.p.data() + 2 * e));
    }
  }
  return p;
}

// Decodes P_j·x for every record (x and −x: the null vector has no sign) and marks the records whose
// verifier matches. Returns how many opened; codewords[j] holds the opened ones.
size_t open_records(std::span<const Record> records, const std::vector<float>& p, uint32_t n, uint32_t alpha,
                    const std::vector<float>& x, std::vector<float>& y, std::vector<uint8_t>& opened,
                    std::vector<detail::Codeword>& codewords) {
  const int rows = int(records.size() * n);
  cblas_sgemv(CblasRowMajor, CblasNoTrans, rows, int(n), 1.0f, p.data(), int(n), x.data(), 1, 0.0f, y.data(), 1);
  size_t count = 0;
  detail::Codeword c;
  for (size_t j = 0; j < records.size(); ++j) {
    const float* yj = y.data() + j * n;
    if (!detail::decode_codeword(yj, n, alpha, &c)) continue;
    for (int sign = 0; sign < 2 && !opened[j]; ++sign) {
      if (sign == 1)  // the decode of −y: same positions, signs flipped (a zero coordinate stays +)
        for (uint32_t q = 0; q < c.alpha; ++q) c.negative[q] = yj[c.index[q]] > 0.0f ? 1 : 0;
      if (keyflow::verifier(records[j].salt.data(), c) == records[j].verifier) {
        opened[j] = 1;
        codewords[j] = c;
      }
    }
    count += opened[j];
  }
  c.wipe();
  return count;
}

// normalize(Σ over opened records of P_jᵀ·c_j): each term is exactly the template enrolled in record j.
std::vector<float> center_of_opened(const std::vector<float>& p, uint32_t n, const std::vector<uint8_t>& opened,
                                    const std::vector<detail::Codeword>& codewords) {
  std::vector<double> sum(n, 0.0);
  const size_t nn = size_t(n) * n;
  for (size_t j = 0; j < opened.size(); ++j) {
    if (!opened[j]) continue;
    const detail::Codeword& c = codewords[j];
    const double v = 1.0 / std::sqrt(double(c.alpha));
    for (uint32_t q = 0; q < c.alpha; ++q) {
      const float* row = p.data() + j * nn + size_t(c.index[q]) * n;
      const double s = c.negative[q] ? -v : v;
      for (uint32_t i = 0; i < n; ++i) sum[i] += s * row[i];
    }
  }
  double norm2 = 0;
  for (double v : sum) norm2 += v * v;
  std::vector<float> out(n);
  const double inv = norm2 > 0 ? 1.0 / std::sqrt(norm2) : 0.0;
  for (uint32_t i = 0; i < n; ++i) out[i] = float(sum[i] * inv);
  secure_zero(sum.data(), sum.size() * sizeof(double));
  return out;
}

}  // namespace

PlraResult::~PlraResult() {
  if (!code_vector.empty()) secure_zero(code_vector.data(), code_vector.size() * sizeof(float));
}

double plra_log2_trials(uint32_t n, uint32_t alpha, std::span<const uint32_t> rows_per_record) {
  // log2(C(n, k)/C(n−α, k)) = Σ_{i<α} log2((n − i)/(n − k − i)); infinite once k > n − α.
  double total = 0;
  for (uint32_t k : rows_per_record) {
    if (k == 0) continue;
    if (k + alpha > n) return INFINITY;
    for (uint32_t i = 0; i < alpha; ++i) total += std::log2(double(n - i)) - std::log2(double(n - k - i));
  }
  return total;
}

std::vector<uint32_t> plra_split_rows(uint32_t rows, size_t records) {
  std::vector<uint32_t> out(records, 0);
  if (records == 0) return out;
  for (size_t j = 0; j < records; ++j) out[j] = uint32_t(rows / records + (j < rows % records ? 1 : 0));
  return out;
}

uint32_t plra_rows_for_noise(uint32_t n, double noise_deg) {
  static const double angle[] = {0, 8.7, 14, 19, 26, 30, 36};
  static const double rows512[] = {511, 531, 551, 591, 671, 771, 911};
  const double a = std::clamp(noise_deg, 0.0, 36.0);
  size_t i = 0;
  while (i + 2 < std::size(angle) && a > angle[i + 1]) ++i;
  const double f = (a - angle[i]) / (angle[i + 1] - angle[i]);
  const double extra512 = rows512[i] + f * (rows512[i + 1] - rows512[i]) - 511.0;
  return n - 1 + uint32_t(std::lround(extra512 * double(n) / 512.0));
}

double plra_time_solve(uint32_t n, uint32_t rows, int repeats) {
  internal::SimRng rng("attack/plra/timing", n);
  std::vector<double> a(size_t(rows) * n), gram, x(n);
  std::vector<double> times;
  openblas_set_num_threads(1);  // as in the attack
  for (int r = 0; r < std::max(repeats, 1); ++r) {
    for (auto& v : a) v = rng.gaussian();
    const double t0 = process_cpu_seconds();
    least_singular_vector(a, rows, n, gram, x.data());
    times.push_back(process_cpu_seconds() - t0);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

PlraResult plra_attack(std::span<const Record> records, const PlraOptions& options) {
  if (records.size() < 2) throw Error(ErrorCode::InvalidArgument, "attack link needs at least two records of one person");
  const uint32_t n = records[0].n, alpha = records[0].alpha;
  for (size_t j = 1; j < records.size(); ++j)
    if (records[j].n != n || records[j].alpha != alpha)
      throw Error(ErrorCode::InvalidArgument,
                  "record " + std::to_string(j) + " has n=" + std::to_string(records[j].n) + " alpha=" +
                      std::to_string(records[j].alpha) + ", record 0 has n=" + std::to_string(n) +
                      " alpha=" + std::to_string(alpha) + ": the records must share one configuration");
  for (size_t j = 0; j < records.size(); ++j)
    if (records[j].p.size() != records[j].p_bytes())
      throw Error(ErrorCode::InvalidRecord, "record " + std::to_string(j) + ": P has the wrong size");
  if (!(options.noise_deg >= 0 && options.noise_deg <= 90))
    throw Error(ErrorCode::InvalidArgument, "noise angle must be within 0..90 degrees");

  PlraResult res;
  res.rows = options.rows ? options.rows : plra_rows_for_noise(n, options.noise_deg);
  if (res.rows < n - 1)
    throw Error(ErrorCode::InvalidArgument, "a regression needs at least n - 1 = " + std::to_string(n - 1) + " rows");
  res.rows_per_record = plra_split_rows(res.rows, records.size());
  for (uint32_t k : res.rows_per_record)
    if (k + alpha > n)
      throw Error(ErrorCode::InvalidArgument,
                  std::to_string(res.rows) + " rows over " + std::to_string(records.size()) + " records means " +
                      std::to_string(k) + " rows of one record, more than its n - alpha = " + std::to_string(n - alpha) +
                      " rows outside the support: more records are needed");
  res.log2_expected_trials = plra_log2_trials(n, alpha, res.rows_per_record);
  const double expected = std::exp2(res.log2_expected_trials);
  const uint64_t max_trials =
      options.max_trials ? options.max_trials : uint64_t(std::clamp(20.0 * expected, 1000.0, 1e12));
  res.opened.assign(records.size(), 0);

  const std::vector<float> p = stacked_p(records, n);
  const size_t nn = size_t(n) * n;
  internal::SimRng rng("attack/plra", options.seed);
  std::vector<std::vector<uint32_t>> order(records.size(), std::vector<uint32_t>(n));
  for (auto& o : order) std::iota(o.begin(), o.end(), 0u);
  std::vector<double> a(size_t(res.rows) * n), gram, x(n);
  std::vector<float> xf(n), y(records.size() * n);
  std::vector<detail::Codeword> codewords(records.size());
  const size_t needed = 2;
  // Trials are independent and small: one BLAS thread each (as the CPU backend does), no oversubscription.
  openblas_set_num_threads(1);
  const auto t0 = Clock::now();
  const double cpu0 = process_cpu_seconds();
  while (res.trials < max_trials) {
    // Guess k_j rows of each record outside its support (partial Fisher–Yates on a running permutation).
    size_t row = 0;
    for (size_t j = 0; j < records.size(); ++j) {
      auto& o = order[j];
      for (uint32_t s = 0; s < res.rows_per_record[j]; ++s) {
        std::swap(o[s], o[s + rng.below(n - s)]);
        const float* src = p.data() + j * nn + size_t(o[s]) * n;
        std::copy(src, src + n, a.data() + row++ * n);
      }
    }
    ++res.trials;
    if (options.progress && res.trials % 256 == 0) options.progress(res.trials);
    if (least_singular_vector(a, res.rows, n, gram, x.data())) {
      for (uint32_t i = 0; i < n; ++i) xf[i] = float(x[i]);
      std::fill(res.opened.begin(), res.opened.end(), 0);
      if (open_records(records, p, n, alpha, xf, y, res.opened, codewords) >= needed) {
        // The opened records give their enrolled templates exactly; their center may open the rest.
        res.code_vector = center_of_opened(p, n, res.opened, codewords);
        open_records(records, p, n, alpha, res.code_vector, y, res.opened, codewords);
        res.linked = true;
        break;
      }
    }
    if (options.max_seconds > 0 && seconds_since(t0) > options.max_seconds) break;
  }
  res.seconds = seconds_since(t0);
  res.cpu_seconds = process_cpu_seconds() - cpu0;
  res.opened_count = size_t(std::count(res.opened.begin(), res.opened.end(), uint8_t(1)));
  for (auto& c : codewords) c.wipe();
  secure_zero(x.data(), x.size() * sizeof(double));
  secure_zero(xf.data(), xf.size() * sizeof(float));
  secure_zero(y.data(), y.size() * sizeof(float));  // P_j·x: the decoded codewords are in there
  return res;
}

}  // namespace spheremask::attack
