# vcpkg port for hookline (header-only). Use it as an overlay port until it is in a registry:
#   vcpkg install hookline --overlay-ports=<hookline>/ports
#   (manifest mode: add "hookline" to vcpkg.json and pass --overlay-ports, or set VCPKG_OVERLAY_PORTS)
set(VCPKG_BUILD_TYPE release) # header-only: nothing differs between debug and release

# The release archive cmake/release.sh makes and hashes (it writes URLS and SHA512 here, and the
# version into vcpkg.json). To build a local checkout instead (development), replace the two calls
# below with:  set(SOURCE_PATH "/path/to/hookline")
vcpkg_download_distfile(ARCHIVE
    URLS "https://github.com/hookline/hookline/releases/download/v0.1.0/hookline-0.1.0.tar.gz"
    FILENAME "hookline-${VERSION}.tar.gz"
    SHA512 1ef120605992730bbf06aff8f8a385c1dc843ba818d2f819483bea4e7fe56ee240d45f19ce3120604dd0ebe5ac08f72774c51f2d330b7954618d521b43da13af
)
vcpkg_extract_source_archive(SOURCE_PATH ARCHIVE "${ARCHIVE}")

# hookline's build defines hookline::sqlite / hookline::postgres / hookline::beast whenever it finds
# SQLite 3 and SQLiteCpp / libpq / Boost 1.81 (FindSQLite3 and SQLiteCppConfig / FindPostgreSQL /
# BoostConfig). A feature that is off keeps
# those from being found, so the package never picks up a library vcpkg did not install.
vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    INVERTED_FEATURES
        sqlite   CMAKE_DISABLE_FIND_PACKAGE_SQLite3
        sqlite   CMAKE_DISABLE_FIND_PACKAGE_SQLiteCpp
        postgres CMAKE_DISABLE_FIND_PACKAGE_PostgreSQL
        beast    CMAKE_DISABLE_FIND_PACKAGE_Boost
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DHOOKLINE_BUILD_TESTS=OFF
        -DHOOKLINE_BUILD_EXAMPLES=OFF
        -DHOOKLINE_BUILD_BENCHMARKS=OFF
        -DHOOKLINE_INSTALL=ON
        # vcpkg's cpp-httplib is header-only and installs no .pc file: hookline.pc requires only
        # what vcpkg ships and carries the define cpp-httplib.pc would have supplied.
        "-DHOOKLINE_PKGCONFIG_REQUIRES=openssl nlohmann_json simdjson libcurl"
        -DHOOKLINE_PKGCONFIG_CFLAGS=-DCPPHTTPLIB_OPENSSL_SUPPORT
        # vcpkg's sqlitecpp installs no .pc file either: hookline-sqlite.pc links it by name.
        "-DHOOKLINE_PKGCONFIG_SQLITE_LIBS=-L\${prefix}/lib -lSQLiteCpp"
        ${FEATURE_OPTIONS}
    MAYBE_UNUSED_VARIABLES
        CMAKE_DISABLE_FIND_PACKAGE_SQLite3
        CMAKE_DISABLE_FIND_PACKAGE_SQLiteCpp
        CMAKE_DISABLE_FIND_PACKAGE_PostgreSQL
        CMAKE_DISABLE_FIND_PACKAGE_Boost
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME hookline CONFIG_PATH lib/cmake/hookline)
vcpkg_fixup_pkgconfig()

# Header-only: no libraries, so nothing under lib/ (the CMake config moved to share/hookline).
file(REMOVE_RECURSE
    "${CURRENT_PACKAGES_DIR}/debug"
    "${CURRENT_PACKAGES_DIR}/lib"
)

file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
