# CTest labels by folder: every GoogleTest test of spheremask_tests carries the name of its folder under
# tests/ (unit, backend, cli, capi, store, format, ...) and a device label: gpu for the tests that need a
# CUDA device, cpu for the rest (scripts/sanitize.sh runs -L cpu; bench/device-check.sh runs the GPU
# suites one process each, selected by name: *Cuda*). A device test is
#   - a test of tests/cuda/ whose suite is named Cuda* (CudaBackend, CudaExpander, ...); the other suites
#     there check the CUDA backend's host-side logic (launch shapes, staging and gallery plans, the Haar
#     path choice) and run without a device;
#   - the Cuda instance (".../Cuda", support/backends.hpp INSTANTIATE_BACKENDS) of a test run over
#     every backend, in any folder.
# The suites of a folder are read from its sources (TEST, TEST_F, TEST_P, TYPED_TEST); a suite may live
# in one folder only, so that each test is discovered once.

# spheremask_discover_tests_by_folder(TARGET SOURCES...)
function(spheremask_discover_tests_by_folder target)
  set(folders "")
  set(seen_suites "")
  set(parameterized "")
  set(label_script "")
  foreach(source IN LISTS ARGN)
    file(RELATIVE_PATH rel ${CMAKE_CURRENT_SOURCE_DIR} ${source})
    string(REGEX REPLACE "/.*" "" folder "${rel}")
    file(STRINGS ${source} lines REGEX "^[ \t]*(TEST|TEST_F|TEST_P|TYPED_TEST|TYPED_TEST_P)\\([A-Za-z0-9_]+,")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*[A-Z_]+\\(([A-Za-z0-9_]+),.*" "\\1" suite "${line}")
      list(APPEND suites_${folder} ${suite})
      if(line MATCHES "^[ \t]*TEST_P\\(")
        list(APPEND parameterized ${suite})
      endif()
    endforeach()
    list(APPEND folders ${folder})
  endforeach()
  list(REMOVE_DUPLICATES folders)
  foreach(folder IN LISTS folders)
    list(REMOVE_DUPLICATES suites_${folder})
    foreach(suite IN LISTS suites_${folder})
      if(suite IN_LIST seen_suites)
        message(FATAL_ERROR "tests: suite ${suite} is defined in two folders (${folder} and another); a suite lives in one")
      endif()
      list(APPEND seen_suites ${suite})
    endforeach()
    # cpu: the host suites' tests but their Cuda instances; gpu: the device suites, and the Cuda instances.
    set(filter_cpu "")
    set(filter_gpu "")
    foreach(suite IN LISTS suites_${folder})
      if(folder STREQUAL "cuda" AND suite MATCHES "^Cuda")
        string(APPEND filter_gpu ":${suite}.*:*/${suite}.*")
      else()
        string(APPEND filter_cpu ":${suite}.*:*/${suite}.*")
        if(suite IN_LIST parameterized)
          string(APPEND filter_gpu ":${suite}.*/Cuda:*/${suite}.*/Cuda")
        endif()
      endif()
    endforeach()
    if(filter_cpu)
      string(APPEND filter_cpu "-*/Cuda")
    endif()
    foreach(device cpu gpu)
      if(filter_${device})
        string(SUBSTRING "${filter_${device}}" 1 -1 filter)
        gtest_discover_tests(${target} TEST_FILTER "${filter}" TEST_LIST ${target}_${folder}_${device}
          PROPERTIES LABELS ${device} DISCOVERY_TIMEOUT 60)
        string(APPEND label_script "foreach(t IN LISTS ${target}_${folder}_${device})\n"
                                   "  set_tests_properties(\"\${t}\" PROPERTIES LABELS \"${device};${folder}\")\nendforeach()\n")
      endif()
    endforeach()
  endforeach()
  # gtest_discover_tests passes PROPERTIES through a -D list, which splits a two-label value; so the
  # labels are set by a CTest script read after the discovered tests (TEST_INCLUDE_FILES keeps order).
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${target}_folder_labels.cmake "${label_script}")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${CMAKE_CURRENT_BINARY_DIR}/${target}_folder_labels.cmake)
endfunction()
