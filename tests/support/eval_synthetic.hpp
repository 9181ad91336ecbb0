// Synthetic labelled templates for the evaluation tests: identity centres spread around a common direction (so
// impostor angles are well under 90°, as with real face embeddings), images at a seeded angle from their centre.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "expander/expander_rng.hpp"

namespace spheremask::testing {

struct LabelledSet {
  std::vector<float> templates;  // rows × m
  std::vector<std::string> labels;
  size_t rows() const { return labels.size(); }
};

// `identities` identities of `images` images each, dimension m. Centres at centre_deg from a common direction;
// images at an angle uniform in [image_lo_deg, image_hi_deg] from their centre. Labels "id-<k>".
inline LabelledSet synthetic_identities(uint32_t m, size_t identities, size_t images, double centre_deg,
                                        double image_lo_deg, double image_hi_deg, uint64_t seed) {
  constexpr double kRad = 0.017453292519943295;
  internal::SimRng rng("test/eval-identities", seed);
  std::vector<float> common(m), centre(m);
  rng.unit_vector(common.data(), m);
  LabelledSet s;
  s.templates.resize(identities * images * m);
  for (size_t id = 0; id < identities; ++id) {
    rng.at_angle(common.data(), centre_deg * kRad, centre.data(), m);
    for (size_t k = 0; k < images; ++k) {
      const double deg = image_lo_deg + (image_hi_deg - image_lo_deg) * rng.uniform();
      rng.at_angle(centre.data(), deg * kRad, s.templates.data() + (id * images + k) * m, m);
      s.labels.push_back("id-" + std::to_string(id));
    }
  }
  return s;
}

}  // namespace spheremask::testing
