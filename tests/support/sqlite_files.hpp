// SQLite store files for tests: a throwaway directory to hold them, and options that never prune.
#pragma once

#include <hookline/stores/sqlite_store.hpp>

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

namespace test_support {

/// A fresh directory under the system temp dir (its canonical path), removed with everything in it.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "hookline-test-XXXXXX").string();
        REQUIRE(mkdtemp(tmpl.data()) != nullptr);
        path = std::filesystem::canonical(tmpl);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    std::string file(const std::string& name = "store.db") const { return (path / name).string(); }
};

/// Store options with retention off: the tests' timestamps are tiny, so no automatic pruning.
inline hookline::sqlite_store_options test_options() {
    hookline::sqlite_store_options o;
    o.retention = std::chrono::milliseconds(0);
    return o;
}

} // namespace test_support
