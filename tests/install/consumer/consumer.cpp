// A C++ program against the installed shared library: the C++ API (exceptions cross the library
// boundary), and the C API header from C++ (extern "C").
#include <spheremask/spheremask.h>
#include <spheremask/spheremask.hpp>

#include <cstdio>
#include <random>
#include <vector>

int main() {
  using namespace spheremask;
  Params p;
  p.m = p.n = 256;
  auto engine = make_engine(p, Backend::Cpu);
  std::mt19937 rng(5);  // non-secret test data
  std::normal_distribution<float> g;
  std::vector<float> t(2 * 256);
  for (auto& x : t) x = g(rng);

  const std::vector<uint8_t> stored = engine->enroll(t.data(), 2)[1].serialize();
  const Record loaded = Record::parse(stored);
  const auto d = engine->verify_and_derive(t.data() + 256, 1, {&loaded, 1}, "ctx");
  const auto rejected = engine->verify(t.data(), 1, {&loaded, 1});
  const bool flow_ok = d[0].decision == Decision::Accept && rejected[0] == Decision::Reject;

  bool caught = false;
  try {
    Record::parse(std::vector<uint8_t>(10, 0));
  } catch (const Error& e) {  // typeinfo of spheremask::Error is exported
    caught = e.code() == ErrorCode::InvalidRecord;
  }
  const bool c_api_ok = sm_version() == SM_VERSION;
  std::printf("C++ consumer: flow %s, exception %s, C API %s\n", flow_ok ? "ok" : "FAILED", caught ? "ok" : "FAILED",
              c_api_ok ? "ok" : "FAILED");
  return flow_ok && caught && c_api_ok ? 0 : 1;
}
