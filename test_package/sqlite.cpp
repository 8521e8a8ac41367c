// Enqueues one message through the application's SQLiteCpp connection (the transactional outbox) and
// claims it from the packaged hookline::sqlite store.
#include <hookline/stores/sqlite_store.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

int main() {
    const auto path =
        std::filesystem::temp_directory_path() / ("hookline-test-package-" + std::to_string(::getpid()) + ".db");
    bool ok = false;
    {
        auto store = hookline::sqlite_store::open(path.string());
        if (!store) return 1;
        const std::string endpoints[] = {"e"};
        SQLite::Database app(path.string(), SQLite::OPEN_READWRITE, 5000);
        SQLite::Transaction tx(app);
        const hookline::stored_message m{"m1", "a.b", std::make_shared<const std::string>("{}"), 1};
        const bool inserted = store->insert_message_in(app, m, endpoints, 1).value_or(false);
        tx.commit();
        auto claimed = store->claim_due(1, 10, endpoints, 100);
        ok = inserted && claimed && claimed->size() == 1;
    }
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
    std::printf("hookline::sqlite through SQLiteCpp: %s\n", ok ? "enqueued and claimed" : "FAILED");
    return ok ? 0 : 1;
}
