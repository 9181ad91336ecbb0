// EXPECT_ERROR_CODE(statement, code): the statement throws spheremask::Error carrying exactly `code`
// (a bare EXPECT_THROW(..., Error) passes for any of the ten codes). Optional third argument: a
// substring the message must contain.
#pragma once
#include <gtest/gtest.h>

#include <exception>
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
