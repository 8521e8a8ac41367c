"""Conan test package: builds CMakeLists.txt + main.cpp against the hookline package and runs it.

The same project is built with plain CMake against an installed hookline by the ctest
`package.test_package` (Conan itself is not needed for that).
"""
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class HooklineTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"
    test_type = "explicit"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "test_package"), env="conanrun")
            sqlite = os.path.join(self.cpp.build.bindir, "test_package_sqlite")
            if os.path.exists(sqlite):  # the with_sqlite option
                self.run(sqlite, env="conanrun")
