// Opens a SQLite store through the packaged hookline::sqlite target and round-trips one message.
#include <hookline/stores/sqlite_store.hpp>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

int main() {
    auto path = std::filesystem::temp_directory_path() / ("hookline-consumer-" + std::to_string(::getpid()) + ".db");
    bool ok = false;
    {
        auto store = hookline::sqlite_store::open(path.string());
        const std::string endpoints[] = {"e"};
        ok = store && store->insert_message({"m1", "a.b", std::make_shared<const std::string>("{}"), 1}, endpoints, 1)
                          .value_or(false);
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    std::printf("hookline::sqlite: %s\n", ok ? "stored" : "FAILED");
    return ok ? 0 : 1;
}
