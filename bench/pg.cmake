# pg.cmake -- builds bench_pg, the PostgreSQL peer of the hub benchmark
# (bench/pg_peer.c), included from bench/CMakeLists.txt.
#
# Optional on purpose: the hub never needs PostgreSQL, so a machine without
# libpq still builds everything else; bench_pg is skipped silently.
# bench/pg_run.sh installs libpq-dev and runs the built binary.
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PQ QUIET IMPORTED_TARGET libpq)
endif()

if(PQ_FOUND)
  add_executable(bench_pg ${CMAKE_CURRENT_SOURCE_DIR}/pg_peer.c)
  target_include_directories(bench_pg PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(bench_pg PRIVATE PkgConfig::PQ)
  set_target_properties(bench_pg PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
