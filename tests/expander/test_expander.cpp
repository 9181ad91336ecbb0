// Template expander: SMTE v1 round trip and every corruption class, CPU forward contract, gradients,
// training, the published-recipe contraction check and mismatched-expander records.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "crypto/crypto.hpp"
#include "expander/expander_net.hpp"
#include "expander/expander_rng.hpp"
#include "support/expander_train_cases.hpp"
#include "support/expect_error.hpp"
#include "spheremask/engine.hpp"
#include "spheremask/error.hpp"
#include "spheremask/expander_file.hpp"
#include "spheremask/expander_inspect.hpp"
#include "spheremask/expander_train.hpp"

namespace spheremask {
namespace {

using testing::seed_of;

// Expects parse_expander(bytes) to throw InvalidRecord with `field` in the message.
void expect_invalid(const std::vector<uint8_t>& bytes, const std::string& field) {
  try {
    parse_expander(bytes);
    FAIL() << "accepted a file that should fail on '" << field << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidRecord) << e.what();
    EXPECT_NE(std::string(e.what()).find("'" + field + "'"), std::string::npos) << e.what();
  }
}

std::vector<float> unit_rows(size_t rows, uint32_t dim, uint64_t seed) {
  internal::SimRng rng("test/rows", seed);
  std::vector<float> out(rows * dim);
  for (size_t i = 0; i < rows; ++i) rng.unit_vector(out.data() + i * dim, dim);
  return out;
}

TEST(ExpanderFile, RoundTripKeepsEveryByteAndTheId) {
  const auto w = init_expander(6, 8, seed_of(1));
  const auto bytes = serialize_expander(w);
  EXPECT_EQ(bytes.size(), 52 + w.summary.size() + 4 * (16 * 6 + 3 * 256 + 8 * 16 + 64) + 32);
  const auto back = parse_expander(bytes);
  EXPECT_EQ(back.m, 6u);
  EXPECT_EQ(back.n, 8u);
  EXPECT_EQ(back.arch, kExpanderArch);
  EXPECT_EQ(back.summary, w.summary);
  EXPECT_EQ(back.ws, w.ws);
  EXPECT_EQ(back.w0, w.w0);
  EXPECT_EQ(back.w3, w.w3);
  EXPECT_EQ(back.w4, w.w4);
  EXPECT_EQ(serialize_expander(back), bytes);
  const auto id = crypto::sha256(bytes);
  EXPECT_EQ(make_expander(back)->id(), id);

  const auto path = (std::filesystem::temp_directory_path() / "sm_test_expander.smte").string();
  EXPECT_EQ(save_expander(path, w), id);
  const auto loaded = load_expander(path);
  EXPECT_EQ(loaded->id(), id);
  EXPECT_EQ(loaded->input_dim(), 6u);
  EXPECT_EQ(loaded->output_dim(), 8u);
  std::filesystem::remove(path);
}

TEST(ExpanderFile, InitIsDeterministicAndSemiOrthogonal) {
  const auto a = init_expander(5, 8, seed_of(7)), b = init_expander(5, 8, seed_of(7)), c = init_expander(5, 8, seed_of(8));
  EXPECT_EQ(serialize_expander(a), serialize_expander(b));
  EXPECT_NE(a.w0, c.w0);
  for (uint32_t i = 0; i < 5; ++i)
    for (uint32_t j = 0; j < 5; ++j) {
      double dot = 0;
      for (uint32_t r = 0; r < 16; ++r) dot += double(a.ws[r * 5 + i]) * a.ws[r * 5 + j];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5);
    }
  EXPECT_ERROR_CODE(init_expander(17, 8, seed_of(1)), ErrorCode::InvalidArgument);  // m > 2n
}

TEST(ExpanderFile, EveryTruncationClassIsNamed) {
  const auto bytes = serialize_expander(init_expander(4, 4, seed_of(2)));
  auto cut = [&](size_t len) { return std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(len)); };
  const size_t summary_len = init_expander(4, 4, seed_of(2)).summary.size();
  expect_invalid(cut(0), "magic");
  expect_invalid(cut(3), "magic");
  expect_invalid(cut(20), "header");
  expect_invalid(cut(52 + summary_len / 2), "summary");
  expect_invalid(cut(52 + summary_len + 10), "weights");
  expect_invalid(cut(bytes.size() - 40), "weights");
  expect_invalid(cut(bytes.size() - 1), "checksum");
  auto longer = bytes;
  longer.push_back(0);
  expect_invalid(longer, "size");
}

TEST(ExpanderFile, CorruptedFieldsAreNamed) {
  const auto w = init_expander(4, 4, seed_of(3));
  const auto bytes = serialize_expander(w);
  auto flipped = [&](size_t at) { auto b = bytes; b[at] ^= 0x01; return b; };
  expect_invalid(flipped(0), "magic");
  expect_invalid(flipped(4), "version");
  expect_invalid(flipped(6), "dtype");
  expect_invalid(flipped(7), "reserved");
  expect_invalid(flipped(16), "architecture");
  expect_invalid(flipped(bytes.size() - 100), "checksum");  // a weight byte
  expect_invalid(flipped(bytes.size() - 1), "checksum");    // the checksum itself
  auto big_m = bytes;
  big_m[8] = 0xff; big_m[9] = 0xff; big_m[10] = 0xff;
  expect_invalid(big_m, "m");
  auto zero_n = bytes;
  std::memset(zero_n.data() + 12, 0, 4);
  expect_invalid(zero_n, "n");
  // Valid checksum, invalid content: validation after the checksum still names the field.
  auto nan = w;
  nan.w2[5] = std::nanf("");
  expect_invalid(serialize_expander(nan), "W2");
  auto skew = w;
  skew.ws[0] *= 1.5f;
  expect_invalid(serialize_expander(skew), "W_s");
}

TEST(ExpanderFile, LoadErrorsNameTheFile) {
  const auto path = (std::filesystem::temp_directory_path() / "sm_test_bad.smte").string();
  { std::ofstream(path, std::ios::binary) << "SMTE"; }
  try {
    load_expander(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("'header'"), std::string::npos) << e.what();
  }
  std::filesystem::remove(path);
  EXPECT_ERROR_CODE(load_expander(path), ErrorCode::Io);  // missing file
}

TEST(ExpanderForward, UnitRowsDeterministicAndBatchIndependent) {
  const auto e = make_expander(init_expander(12, 16, seed_of(4)));
  const size_t rows = 300;  // crosses the 256-row batch boundary
  const auto in = unit_rows(rows, 12, 1);
  std::vector<float> out(rows * 16), again(rows * 16), single(16);
  e->forward(in.data(), rows, out.data());
  e->forward(in.data(), rows, again.data());
  EXPECT_EQ(out, again);
  for (size_t i = 0; i < rows; ++i) {
    double norm2 = 0;
    for (int j = 0; j < 16; ++j) norm2 += double(out[i * 16 + j]) * out[i * 16 + j];
    EXPECT_NEAR(norm2, 1.0, 1e-5);
  }
  e->forward(in.data() + 299 * 12, 1, single.data());
  for (int j = 0; j < 16; ++j) EXPECT_NEAR(single[j], out[299 * 16 + j], 1e-5);
}

// Backward against central finite differences of L = Σ y ⊙ r.
TEST(ExpanderForward, BackwardMatchesFiniteDifferences) {
  auto w = init_expander(3, 4, seed_of(5));
  const size_t rows = 5;
  const auto x = unit_rows(rows, 8, 2);
  internal::SimRng rng("test/r", 1);
  std::vector<float> r(rows * 4);
  for (auto& v : r) v = float(rng.gaussian());
  auto loss = [&] {
    std::vector<float> y(rows * 4);
    internal::te_body_forward(w, x.data(), rows, y.data(), nullptr);
    double s = 0;
    for (size_t k = 0; k < y.size(); ++k) s += double(y[k]) * r[k];
    return s;
  };
  internal::TeCache cache;
  internal::te_body_forward(w, x.data(), rows, nullptr, &cache);
  std::array<std::vector<float>, internal::kTeLayers> grads;
  internal::te_body_backward(w, cache, rows, r.data(), grads);
  std::array<std::vector<float>*, 5> params = {&w.w0, &w.w1, &w.w2, &w.w3, &w.w4};
  for (int l = 0; l < 5; ++l)
    for (size_t k = 0; k < params[l]->size(); k += 3) {
      float& p = (*params[l])[k];
      const float saved = p, h = 2e-3f;
      p = saved + h; const double up = loss();
      p = saved - h; const double down = loss();
      p = saved;
      EXPECT_NEAR(grads[l][k], (up - down) / (2 * h), 2e-3 + 0.01 * std::abs(grads[l][k])) << "layer " << l << " entry " << k;
    }
}

TEST(ExpanderTrain, PublishedRecipeLowersTheHeldOutLossDeterministically) {
  auto a = init_expander(16, 32, seed_of(6));
  auto b = a;
  TrainOptions o;  // published recipe: gram, 15 SGD steps, lr 0.01
  const double before = evaluate_objective(a, o).loss;
  size_t calls = 0;
  const auto r = train_expander(a, o, [&](const TrainStep& s) { EXPECT_EQ(s.step, ++calls); });
  EXPECT_EQ(calls, 15u);
  EXPECT_LT(r.last_loss, r.first_loss);
  EXPECT_LT(evaluate_objective(a, o).loss, before);
  train_expander(b, o);
  EXPECT_EQ(serialize_expander(a), serialize_expander(b));
  EXPECT_EQ(a.ws, init_expander(16, 32, seed_of(6)).ws);  // W_s is never trained
}

TEST(ExpanderTrain, PairsObjectiveAndResidualKnob) {
  auto w = init_expander(8, 16, seed_of(7));
  TrainOptions o;
  o.objective = TrainObjective::Pairs;
  o.optimizer = TrainOptimizer::Adam;
  o.lr = 0.003f;
  o.steps = 40;
  o.batch = 64;
  auto isometric = w;
  const double before = evaluate_objective(isometric, o).gram_loss;
  train_expander(isometric, o);
  EXPECT_LT(evaluate_objective(isometric, o).gram_loss, before);
  auto nonlinear = w;
  o.residual_weight = 1.0;
  train_expander(nonlinear, o);
  // The knob moves the in-batch affine-fit residual up.
  EXPECT_GT(evaluate_objective(nonlinear, o).residual, evaluate_objective(isometric, o).residual);
  o.objective = TrainObjective::Gram;
  EXPECT_ERROR_CODE(train_expander(w, o), ErrorCode::InvalidArgument, "pairs objective");  // residual weight needs template-space inputs
}

// Issue 4 item 4: the architecture must reproduce the published contraction at m=128, n=256.
TEST(ExpanderInspect, PublishedRecipeContractsNinetyDegreesToAboutSeventyThree) {
  auto w = init_expander(128, 256, seed_of(1));
  InspectOptions io;
  io.pairs_per_angle = 300;
  io.angles_deg = {90};
  const auto init = inspect_expander(*make_expander(w), io);
  EXPECT_NEAR(init.distortion[0].mean_output_deg, 73, 5);
  EXPECT_NEAR(init.linear_residual, 0.43, 0.05);
  train_expander(w, TrainOptions{});
  const auto trained = inspect_expander(*make_expander(w), io);
  EXPECT_NEAR(trained.distortion[0].mean_output_deg, 73, 5);
  EXPECT_NEAR(trained.linear_residual, 0.43, 0.05);
}

TEST(ExpanderRecords, RecordFromAnotherExpanderIsAMismatch) {
  Params p;
  p.m = 8;
  p.n = 64;
  p.alpha = 8;
  p.allow_weak = true;
  p.expander = make_expander(init_expander(8, 64, seed_of(1)));
  Params q = p;
  q.expander = make_expander(init_expander(8, 64, seed_of(2)));
  auto a = make_engine(p, Backend::Cpu), b = make_engine(q, Backend::Cpu);
  const auto t = unit_rows(1, 8, 3);
  EnrollOptions eo;
  eo.insecure_seed = seed_of(9);
  const auto records = a->enroll(t.data(), 1, eo);
  EXPECT_EQ(records[0].expander_id, p.expander->id());
  EXPECT_EQ(a->verify(t.data(), 1, records)[0], Decision::Accept);
  try {
    b->verify(t.data(), 1, records);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Mismatch);
    EXPECT_NE(std::string(e.what()).find("expander"), std::string::npos);
  }
  Params none = p;
  none.expander = nullptr;
  none.n = 8;
  none.alpha = 2;
  EXPECT_ERROR_CODE(make_engine(none, Backend::Cpu)->verify(t.data(), 1, records), ErrorCode::Mismatch);
}

}  // namespace
}  // namespace spheremask
