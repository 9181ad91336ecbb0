# The installed package: the generated version header, the usage requirements consumers of the
# shared library see, the install layout, and the CMake and pkg-config files that find it.
# Included once from the top-level CMakeLists.txt after every target exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# ---- generated public header (spheremask/version.h, included by spheremask.h) ----
set(SPHEREMASK_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated/include)
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.h.in ${SPHEREMASK_GENERATED_INCLUDE_DIR}/spheremask/version.h @ONLY)
foreach(tgt spheremask_objects spheremask spheremask_static)
  target_include_directories(${tgt} PUBLIC $<BUILD_INTERFACE:${SPHEREMASK_GENERATED_INCLUDE_DIR}>)
endforeach()

# ---- exported symbols: the API only (see exported_symbols.map) ----
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(_sm_symbol_map ${CMAKE_CURRENT_LIST_DIR}/exported_symbols.map)
  target_link_options(spheremask PRIVATE "LINKER:--version-script=${_sm_symbol_map}")
  set_property(TARGET spheremask APPEND PROPERTY LINK_DEPENDS ${_sm_symbol_map})
endif()

# ---- usage requirements of the exported target ----
# The C++ headers use std::span: C++ consumers need C++20 (C consumers are unaffected).
target_compile_features(spheremask INTERFACE cxx_std_20)

# ---- install layout ----
# The library's dependencies (OpenSSL, SQLite, OpenBLAS, LAPACKE, CUDA) are PRIVATE to a shared
# library: the dynamic linker resolves them from its DT_NEEDED entries and no public header
# includes theirs, so consumers need none of them at compile or link time.
install(TARGETS spheremask EXPORT spheremaskTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT development
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# Public headers only; host/ internals never leave the build tree.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/spheremask ${SPHEREMASK_GENERATED_INCLUDE_DIR}/spheremask
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT development
  FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
if(TARGET spheremask_cli)
  install(TARGETS spheremask_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
endif()

# ---- CMake package: find_package(spheremask) -> spheremask::spheremask ----
set(SPHEREMASK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/spheremask)
install(EXPORT spheremaskTargets NAMESPACE spheremask:: DESTINATION ${SPHEREMASK_CMAKE_DIR} COMPONENT development)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/spheremaskConfig.cmake.in
  ${PROJECT_BINARY_DIR}/generated/spheremaskConfig.cmake INSTALL_DESTINATION ${SPHEREMASK_CMAKE_DIR})
# Until 1.0 a minor release may change the API: only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/generated/spheremaskConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/generated/spheremaskConfig.cmake
  ${PROJECT_BINARY_DIR}/generated/spheremaskConfigVersion.cmake
  DESTINATION ${SPHEREMASK_CMAKE_DIR} COMPONENT development)

# ---- pkg-config: relocatable (prefix found from the .pc file's own directory) ----
file(RELATIVE_PATH SPHEREMASK_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" SPHEREMASK_PC_TO_PREFIX "${SPHEREMASK_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/spheremask.pc.in ${PROJECT_BINARY_DIR}/generated/spheremask.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/generated/spheremask.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT development)
