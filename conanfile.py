"""Conan 2 recipe for hookline, a header-only C++20 webhook library.

    conan create . -s compiler.cppstd=20 -o "hookline/*:with_sqlite=True"   # also runs test_package/

The package holds the headers only; consumers get CMake targets from Conan's CMakeDeps:
find_package(hookline CONFIG REQUIRED), then hookline::hookline (core), hookline::sqlite and
hookline::postgres (the stores) and hookline::beast (the Boost.Beast server), with the matching options. The version must equal CMakeLists.txt's
project(VERSION) (checked by the ctest `package.versions_agree`).
"""
import os

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, cmake_layout
from conan.tools.files import copy, get, rmdir


class HooklineConan(ConanFile):
    name = "hookline"
    version = "0.1.0"
    description = "Header-only C++20 library to send and receive signed webhooks"
    license = "MIT"
    # Written by cmake/release.sh from CMakeLists.txt (project VERSION and HOMEPAGE_URL).
    url = "https://github.com/hookline/hookline"
    homepage = "https://github.com/hookline/hookline"
    topics = ("webhooks", "standard-webhooks", "hmac", "http", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "with_sqlite": [True, False],
        "with_postgres": [True, False],
        "with_beast": [True, False],
    }
    default_options = {
        "with_sqlite": False,
        "with_postgres": False,
        "with_beast": False,
        # hookline::beast uses Boost's header-only Asio and Beast: no compiled Boost library is needed.
        "boost/*:header_only": True,
        # hookline's transport speaks HTTPS: cpp-httplib must be built with OpenSSL.
        "cpp-httplib/*:with_openssl": True,
    }
    # The headers and the CMake files that install them with the generated hookline/core/version.hpp.
    exports_sources = "include/*", "cmake/*", "CMakeLists.txt", "LICENSE"
    generators = "CMakeDeps", "CMakeToolchain"

    def layout(self):
        cmake_layout(self, src_folder=".")

    def requirements(self):
        # transitive_headers: hookline's public headers include these libraries' headers.
        self.requires("cpp-httplib/[>=0.11.4 <1]", transitive_headers=True)
        self.requires("openssl/[>=3 <4]", transitive_headers=True)
        self.requires("nlohmann_json/[>=3.11 <4]", transitive_headers=True)
        # The receiver's JSON step (receiving/detail/event_json.hpp); a compiled library.
        self.requires("simdjson/[>=3.0.1 <4]", transitive_headers=True)
        # The stock transport (transports/curl_transport.hpp): libcurl's multi interface, 7.80 or later.
        self.requires("libcurl/[>=7.80 <9]", transitive_headers=True)
        if self.options.with_sqlite:
            self.requires("sqlite3/[>=3.40 <4]", transitive_headers=True)
            self.requires("sqlitecpp/3.2.1", transitive_headers=True)
        if self.options.with_postgres:
            self.requires("libpq/[>=15 <18]", transitive_headers=True)
        if self.options.with_beast:
            # The Boost.Beast server (serving/beast_server.hpp): Asio and Beast, headers only.
            self.requires("boost/[>=1.81 <2]", transitive_headers=True)

    def validate(self):
        if self.settings.get_safe("compiler.cppstd"):
            check_min_cppstd(self, 20)
        if not self.dependencies["cpp-httplib"].options.with_openssl:
            raise ConanInvalidConfiguration("hookline needs cpp-httplib/*:with_openssl=True")

    def package_id(self):
        # The same headers whatever the settings and options (the options only add requirements).
        self.info.clear()

    def source(self):
        # Inside this repository the exported sources are there; a registry copy of the recipe
        # downloads the release archive named in conandata.yml (written by cmake/release.sh).
        if not os.path.isfile(os.path.join(self.source_folder, "CMakeLists.txt")):
            get(self, **self.conan_data["sources"][self.version], strip_root=True)

    def build(self):
        cmake = CMake(self)
        cmake.configure(variables={"HOOKLINE_BUILD_TESTS": "OFF", "HOOKLINE_BUILD_EXAMPLES": "OFF",
                                   "HOOKLINE_BUILD_BENCHMARKS": "OFF", "HOOKLINE_INSTALL": "ON"})

    def package(self):
        CMake(self).install()
        copy(self, "LICENSE", src=self.source_folder, dst=os.path.join(self.package_folder, "licenses"))
        # Conan's generators describe the package; hookline's own CMake and pkg-config files go.
        rmdir(self, os.path.join(self.package_folder, "lib"))
        rmdir(self, os.path.join(self.package_folder, "share"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "hookline")
        # The aggregate of every component; hookline::hookline is the core component alone, as in
        # hookline's own CMake package.
        self.cpp_info.set_property("cmake_target_name", "hookline::hookline_all")
        self.cpp_info.set_property("pkg_config_name", "hookline_all")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "hookline::hookline")
        core.set_property("pkg_config_name", "hookline")
        core.bindirs = []
        core.libdirs = []
        core.requires = [
            "cpp-httplib::cpp-httplib", "openssl::openssl", "nlohmann_json::nlohmann_json", "simdjson::simdjson",
            "libcurl::libcurl",
        ]
        if self.settings.os in ("Linux", "FreeBSD"):
            core.system_libs = ["pthread"]

        # The optional components: header-only, each the core plus its own dependencies.
        optional = [
            ("sqlite", self.options.with_sqlite, ["sqlite3::sqlite3", "sqlitecpp::sqlitecpp"]),
            ("postgres", self.options.with_postgres, ["libpq::libpq"]),
            ("beast", self.options.with_beast, ["boost::headers"]),
        ]
        for name, enabled, requires in optional:
            if not enabled:
                continue
            component = self.cpp_info.components[name]
            component.set_property("cmake_target_name", f"hookline::{name}")
            component.set_property("pkg_config_name", f"hookline-{name}")
            component.bindirs = []
            component.libdirs = []
            component.requires = ["core", *requires]
