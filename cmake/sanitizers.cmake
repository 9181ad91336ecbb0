# Instrumented builds for CI and local runs (scripts/sanitize.sh, scripts/fuzz.sh). Flags go on every
# C/C++ target of the tree (library objects, tests, CLI, harnesses) so no uninstrumented code of ours
# shares memory with instrumented code; system libraries (OpenSSL, SQLite, OpenBLAS) stay as shipped.
set(SPHEREMASK_SANITIZE "" CACHE STRING "Sanitizers for every target: address,undefined or thread (empty = none)")
option(SPHEREMASK_BUILD_FUZZERS "Build the libFuzzer harnesses of tests/fuzz (needs clang)" OFF)

set(_sm_sanitize_flags "")
if(SPHEREMASK_SANITIZE STREQUAL "address,undefined")
  # -fno-sanitize-recover: undefined behaviour ends the process (a failing test), not a warning.
  set(_sm_sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined)
elseif(SPHEREMASK_SANITIZE STREQUAL "thread")
  set(_sm_sanitize_flags -fsanitize=thread)
elseif(NOT SPHEREMASK_SANITIZE STREQUAL "")
  message(FATAL_ERROR "SPHEREMASK_SANITIZE must be empty, address,undefined or thread (got '${SPHEREMASK_SANITIZE}')")
endif()

if(SPHEREMASK_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SPHEREMASK_BUILD_FUZZERS needs clang (libFuzzer); configure with CMAKE_CXX_COMPILER=clang++")
  endif()
  if(NOT SPHEREMASK_SANITIZE STREQUAL "address,undefined")
    message(FATAL_ERROR "SPHEREMASK_BUILD_FUZZERS needs SPHEREMASK_SANITIZE=address,undefined (the harnesses' checks)")
  endif()
  # Coverage feedback for the library and tests; only the harnesses link libFuzzer's main.
  list(APPEND _sm_sanitize_flags -fsanitize=fuzzer-no-link)
endif()

if(_sm_sanitize_flags)
  if(SPHEREMASK_ENABLE_CUDA)
    message(FATAL_ERROR "sanitizer and fuzzing builds are CPU-only: configure with SPHEREMASK_ENABLE_CUDA=OFF")
  endif()
  # -O1 and line tables only: instrumented code compiles about twice as fast as at -O3 -g and still
  # gives exact stack traces; the suite runs a few times slower than Release, well within CI's budget.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    set(_sm_line_tables -gline-tables-only)
  else()
    set(_sm_line_tables -g1)  # gcc's nearest: line tables and little else
  endif()
  add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${_sm_sanitize_flags};-fno-omit-frame-pointer;-O1;${_sm_line_tables}>")
  add_link_options("$<$<LINK_LANGUAGE:C,CXX>:${_sm_sanitize_flags}>")
endif()
