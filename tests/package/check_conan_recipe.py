"""Checks hookline's Conan recipes without Conan (which cannot be installed here).

Loads conanfile.py and test_package/conanfile.py against a minimal stand-in for the `conan` module
and checks what the recipes declare: package type, options, the requirements each option combination
adds, the CMake file and target names, and that every component requirement names a dependency the
recipe requires. It cannot check that Conan accepts the recipes (`conan create .` does that).

    python3 check_conan_recipe.py <hookline source dir>
"""
import importlib.util
import itertools
import os
import sys
import types

sys.dont_write_bytecode = True


def install_conan_stub():
    """Registers a fake `conan` package exposing the names the recipes import."""

    class ConanFile:
        pass

    class ConanInvalidConfiguration(Exception):
        pass

    def unused(*args, **kwargs):
        raise AssertionError("not expected to be called by this check")

    modules = {
        "conan": {"ConanFile": ConanFile},
        "conan.errors": {"ConanInvalidConfiguration": ConanInvalidConfiguration},
        "conan.tools": {},
        "conan.tools.build": {"check_min_cppstd": unused, "can_run": unused},
        "conan.tools.cmake": {"CMake": unused, "CMakeDeps": unused, "CMakeToolchain": unused,
                              "cmake_layout": unused},
        "conan.tools.files": {"copy": unused, "get": unused, "rmdir": unused},
    }
    for name, attrs in modules.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        sys.modules[name] = module
    return ConanFile


def load_recipe(path, base):
    spec = importlib.util.spec_from_file_location("recipe_" + str(abs(hash(path))), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    recipes = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, base) and v is not base]
    if len(recipes) != 1:
        raise AssertionError(f"{path}: expected one ConanFile subclass, found {len(recipes)}")
    return recipes[0]


class Settings:
    def __init__(self, **values):
        self.__dict__.update(values)

    def get_safe(self, name):
        return getattr(self, name.replace(".", "_"), None)


class CppInfo:
    def __init__(self):
        self.properties = {}
        self.components = Components()
        self.requires = []
        self.system_libs = []
        self.bindirs = ["bin"]
        self.libdirs = ["lib"]

    def set_property(self, name, value):
        self.properties[name] = value


class Components(dict):
    def __missing__(self, key):
        self[key] = CppInfo()
        return self[key]


def package_name(reference):
    return reference.split("/", 1)[0]


def check_main_recipe(source_dir, base, errors):
    recipe = load_recipe(os.path.join(source_dir, "conanfile.py"), base)
    expect = lambda cond, message: cond or errors.append("conanfile.py: " + message)

    expect(recipe.name == "hookline", f"name is {recipe.name!r}")
    expect(recipe.package_type == "header-library", f"package_type is {recipe.package_type!r}")
    expect(recipe.license == "MIT", f"license is {recipe.license!r}")
    expect(set(recipe.options) == {"with_sqlite", "with_postgres", "with_beast"}, f"options are {sorted(recipe.options)}")
    for option in ("with_sqlite", "with_postgres", "with_beast"):
        expect(recipe.default_options.get(option) is False, f"{option} should default to False")
    expect(recipe.default_options.get("cpp-httplib/*:with_openssl") is True,
           "cpp-httplib/*:with_openssl must default to True")
    for pattern in recipe.exports_sources:
        root = pattern.split("/", 1)[0].rstrip("*")
        expect(os.path.exists(os.path.join(source_dir, root)), f"exports_sources {pattern!r} matches nothing")
    for method in ("layout", "requirements", "validate", "package_id", "source", "build", "package", "package_info"):
        expect(callable(getattr(recipe, method, None)), f"no {method}() method")

    # package_id: one package for every configuration (header-only).
    conanfile = recipe()
    cleared = []
    conanfile.info = types.SimpleNamespace(clear=lambda: cleared.append(True))
    conanfile.package_id()
    expect(cleared == [True], "package_id() must call self.info.clear()")

    for with_sqlite, with_postgres, with_beast in itertools.product((False, True), repeat=3):
        combo = f"with_sqlite={with_sqlite} with_postgres={with_postgres} with_beast={with_beast}"
        conanfile = recipe()
        conanfile.options = types.SimpleNamespace(with_sqlite=with_sqlite, with_postgres=with_postgres,
                                                  with_beast=with_beast)
        conanfile.settings = Settings(os="Linux")
        required = []
        conanfile.requires = lambda reference, **traits: required.append(reference)
        conanfile.requirements()
        packages = {package_name(r) for r in required}
        wanted = {"cpp-httplib", "openssl", "nlohmann_json", "simdjson", "libcurl"}
        if with_sqlite:
            wanted |= {"sqlite3", "sqlitecpp"}
            expect("sqlitecpp/3.2.1" in required, f"{combo}: sqlitecpp is not required as sqlitecpp/3.2.1")
        if with_postgres:
            wanted.add("libpq")
        if with_beast:
            wanted.add("boost")
        expect(packages == wanted, f"{combo}: requires {sorted(packages)}, expected {sorted(wanted)}")

        conanfile.cpp_info = CppInfo()
        conanfile.package_info()
        info = conanfile.cpp_info
        expect(info.properties.get("cmake_file_name") == "hookline", f"{combo}: cmake_file_name is not hookline")
        targets = {c.properties.get("cmake_target_name"): name for name, c in info.components.items()}
        expected_targets = {"hookline::hookline"}
        if with_sqlite:
            expected_targets.add("hookline::sqlite")
        if with_postgres:
            expected_targets.add("hookline::postgres")
        if with_beast:
            expected_targets.add("hookline::beast")
        expect(set(targets) == expected_targets, f"{combo}: component targets {sorted(map(str, targets))}")
        expect(info.properties.get("cmake_target_name") not in targets,
               f"{combo}: the global target must not reuse a component's target name")
        for name, component in info.components.items():
            expect(component.libdirs == [] and component.bindirs == [], f"{combo}: component {name} has lib/bin dirs")
            for requirement in component.requires:
                if "::" in requirement:
                    expect(requirement.split("::", 1)[0] in packages,
                           f"{combo}: component {name} requires {requirement}, not a requirement of the recipe")
                else:
                    expect(requirement in info.components,
                           f"{combo}: component {name} requires unknown component {requirement}")
    return recipe


def check_test_package(source_dir, base, errors):
    directory = os.path.join(source_dir, "test_package")
    recipe = load_recipe(os.path.join(directory, "conanfile.py"), base)
    expect = lambda cond, message: cond or errors.append("test_package/conanfile.py: " + message)
    for method in ("requirements", "layout", "build", "test"):
        expect(callable(getattr(recipe, method, None)), f"no {method}() method")
    conanfile = recipe()
    conanfile.tested_reference_str = "hookline/0.0.0"
    required = []
    conanfile.requires = lambda reference, **traits: required.append(reference)
    conanfile.requirements()
    expect(required == ["hookline/0.0.0"], f"requires {required}, expected the tested reference")
    for name in ("CMakeLists.txt", "main.cpp"):
        expect(os.path.isfile(os.path.join(directory, name)), f"test_package/{name} is missing")


def main():
    source_dir = sys.argv[1]
    base = install_conan_stub()
    errors = []
    check_main_recipe(source_dir, base, errors)
    check_test_package(source_dir, base, errors)
    if errors:
        print("Conan recipe problems:\n  " + "\n  ".join(errors))
        return 1
    print("conanfile.py and test_package/conanfile.py declare what hookline needs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
