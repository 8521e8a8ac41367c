# Generates and installs hookline.pc. Header-only, so it goes to the architecture-independent
# datadir (share/pkgconfig). The file is relocatable: its prefix is computed from ${pcfiledir}, so
# `cmake --install --prefix` (Conan, vcpkg, staged installs) yields a working file.
#
# HOOKLINE_PKGCONFIG_REQUIRES names the pkg-config modules of the dependencies. The default matches
# Debian/Ubuntu (cpp-httplib.pc carries the CPPHTTPLIB_* defines its compiled library was built with);
# override it where those modules are called differently. HOOKLINE_PKGCONFIG_CFLAGS adds flags to
# Cflags: where cpp-httplib has no .pc file (header-only installs such as vcpkg's), set it to
# -DCPPHTTPLIB_OPENSSL_SUPPORT, which hookline's HTTPS transport needs.
set(HOOKLINE_PKGCONFIG_REQUIRES "cpp-httplib openssl nlohmann_json simdjson libcurl" CACHE STRING
    "pkg-config modules listed in Requires: of hookline.pc")
set(HOOKLINE_PKGCONFIG_CFLAGS "" CACHE STRING "Extra flags in Cflags: of hookline.pc")
set(HOOKLINE_PKGCONFIG_DIR "${CMAKE_INSTALL_DATADIR}/pkgconfig" CACHE STRING
    "Where hookline.pc is installed, relative to the install prefix")

if(IS_ABSOLUTE "${HOOKLINE_PKGCONFIG_DIR}")
  set(HOOKLINE_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _hookline_pc_up "/hookline-root/${HOOKLINE_PKGCONFIG_DIR}" "/hookline-root")
  string(REGEX REPLACE "/$" "" _hookline_pc_up "${_hookline_pc_up}")
  set(HOOKLINE_PC_PREFIX "\${pcfiledir}/${_hookline_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(HOOKLINE_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(HOOKLINE_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()

set(HOOKLINE_PC_CFLAGS "-I\${includedir}")
if(HOOKLINE_PKGCONFIG_CFLAGS)
  string(APPEND HOOKLINE_PC_CFLAGS " ${HOOKLINE_PKGCONFIG_CFLAGS}")
endif()

configure_file(${CMAKE_CURRENT_LIST_DIR}/hookline.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hookline.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hookline.pc DESTINATION ${HOOKLINE_PKGCONFIG_DIR})

# The optional components' files, next to hookline.pc, for the component targets this build defines:
# hookline-sqlite.pc (Requires: hookline sqlite3, plus SQLiteCpp), hookline-postgres.pc (Requires:
# hookline libpq) and hookline-beast.pc (Requires: hookline; Boost's headers are found on the default
# include path, as Debian installs them, or through HOOKLINE_PKGCONFIG_BEAST_CFLAGS). SQLiteCpp installs
# no .pc file on Debian or upstream, so by default it is linked by name (Libs: -lSQLiteCpp); where a
# SQLiteCpp.pc exists, set HOOKLINE_PKGCONFIG_SQLITE_REQUIRES to "sqlite3 SQLiteCpp" and
# HOOKLINE_PKGCONFIG_SQLITE_LIBS to "".
set(HOOKLINE_PKGCONFIG_SQLITE_REQUIRES "sqlite3" CACHE STRING "pkg-config modules in Requires: of hookline-sqlite.pc")
set(HOOKLINE_PKGCONFIG_SQLITE_LIBS "-lSQLiteCpp" CACHE STRING "Libs: of hookline-sqlite.pc (SQLiteCpp)")
set(HOOKLINE_PKGCONFIG_BEAST_CFLAGS "" CACHE STRING "Cflags: of hookline-beast.pc (where Boost's headers are)")
foreach(component IN ITEMS sqlite postgres beast)
  if(TARGET hookline_${component})
    set(HOOKLINE_PC_STORE ${component})
    set(HOOKLINE_PC_COMPONENT_CFLAGS "")
    if(component STREQUAL "sqlite")
      set(HOOKLINE_PC_DESCRIPTION "hookline's SQLite outbox store")
      set(HOOKLINE_PC_STORE_REQUIRES ${HOOKLINE_PKGCONFIG_SQLITE_REQUIRES})
      set(HOOKLINE_PC_STORE_LIBS ${HOOKLINE_PKGCONFIG_SQLITE_LIBS})
    elseif(component STREQUAL "postgres")
      set(HOOKLINE_PC_DESCRIPTION "hookline's PostgreSQL outbox store")
      set(HOOKLINE_PC_STORE_REQUIRES libpq)
      set(HOOKLINE_PC_STORE_LIBS "")
    else()
      set(HOOKLINE_PC_DESCRIPTION "hookline's Boost.Beast HTTP server and receiver adapter")
      set(HOOKLINE_PC_STORE_REQUIRES "")
      set(HOOKLINE_PC_STORE_LIBS "")
      set(HOOKLINE_PC_COMPONENT_CFLAGS ${HOOKLINE_PKGCONFIG_BEAST_CFLAGS})
    endif()
    configure_file(${CMAKE_CURRENT_LIST_DIR}/hookline-component.pc.in
                   ${CMAKE_CURRENT_BINARY_DIR}/hookline-${component}.pc @ONLY)
    install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hookline-${component}.pc DESTINATION ${HOOKLINE_PKGCONFIG_DIR})
  endif()
endforeach()
