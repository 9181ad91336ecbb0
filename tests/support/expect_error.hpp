// EXPECT_ERROR_CODE(statement, code): the statement throws spheremask::Error carrying exactly `code`
// (a bare EXPECT_THROW(..., Error) passes for any of the ten codes). Optional third argument: a
// substring the message must contain. thrown_error(f): the code and message f threw, for tests that
// compare codes across many inputs.
#pragma once
#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <initializer_list>
#include <string>

#include "spheremask/error.hpp"

#define EXPECT_ERROR_CODE(statement, expected_code, ...)                                                       \
  do {                                                                                                         \
    try {                                                                                                      \
      statement;                                                                                               \
      ADD_FAILURE() << #statement " threw nothing; expected " << ::spheremask::error_code_name(expected_code); \
    } catch (const ::spheremask::Error& sm_error_) {                                                           \
      EXPECT_EQ(sm_error_.code(), expected_code)                                                               \
          << ::spheremask::error_code_name(sm_error_.code()) << ": " << sm_error_.what();                      \
      for (const std::string& sm_part_ : std::initializer_list<std::string>{"" __VA_OPT__(, ) __VA_ARGS__})    \
        EXPECT_NE(std::string(sm_error_.what()).find(sm_part_), std::string::npos) << sm_error_.what();        \
    } catch (const std::exception& sm_other_) {                                                                \
      ADD_FAILURE() << #statement " threw a non-spheremask exception: " << sm_other_.what();                   \
    }                                                                                                          \
  } while (0)

namespace spheremask::testing {

struct ThrownError {
  ErrorCode code = ErrorCode(0);  // 0 (no such code): f threw nothing
  std::string what;
};

// Runs f and returns the spheremask::Error it threw; any other exception propagates (and fails the test).
inline ThrownError thrown_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {};
}

inline ErrorCode error_code_of(const std::function<void()>& f) { return thrown_error(f).code; }

}  // namespace spheremask::testing
