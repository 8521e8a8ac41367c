// Snippets of docs/stores.md (the SQLite store) and docs/receiver.md (the SQLite de-duplication
// store), built when SQLite is found (see docs.hpp). Compiled only: they open files under /var/lib.
// The snippets keep the guide's layout:
// clang-format off
// [snippet:store]
#include <hookline/stores/sqlite_store.hpp>   // link hookline::sqlite (SQLite 3.35+, SQLiteCpp 3.2)
// [/snippet:store]

#include "docs.hpp"

#include <hookline/hookline.hpp>
#include <hookline/receiving/sqlite_dedup_store.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include <chrono>
#include <string>

namespace docs::sqlite {

void store(const hookline::secret& key) {
    // [snippet:store]
    auto store = hookline::sqlite_store::open("/var/lib/myapp/webhooks.db", {
        .durability = hookline::sqlite_durability::group_commit,   // or commit_each (default)
        .retention = std::chrono::days(14),
    }).value();

    hookline::basic_sender<hookline::httplib_transport, hookline::standard_signer,
                           hookline::standard_schedule, hookline::sqlite_store>
        sender(hookline::httplib_transport{}, hookline::standard_schedule{}, store);
    sender.add_endpoint("acme", {.url = "https://acme.example/webhooks", .secrets = {{key}}}).value();
    // re-adding "acme" after a restart resumes its pending deliveries
    sender.send("invoice.paid", {{"invoice", "in_42"}}).value();   // on disk when this returns
    // [/snippet:store]
}

using sqlite_sender = hookline::basic_sender<hookline::httplib_transport, hookline::standard_signer,
                                             hookline::standard_schedule, hookline::sqlite_store>;
sqlite3* application_connection() { return nullptr; } // stands for the application's own connection

void outbox(sqlite_sender& sender, const std::string& order_json) {
    // [snippet:outbox]
    sqlite3* app = application_connection();          // the application's connection to webhooks.db
    sqlite3_exec(app, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_exec(app, "INSERT INTO orders (id) VALUES (42)", nullptr, nullptr, nullptr);
    hookline::sqlite_tx tx{app};                      // or pass the sqlite3* variable itself
    auto r = sender.send_in(tx, {.type = "order.created", .payload = order_json});
    sqlite3_exec(app, r ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);   // no order, no webhook
    sender.wake();                                    // deliver now (else within max_idle)
    // [/snippet:outbox]
}

void outbox_sqlitecpp(sqlite_sender& sender, SQLite::Database& app, const std::string& order_json) {
    // [snippet:outbox-sqlitecpp]
    SQLite::Transaction tx(app);                      // app: the application's SQLite::Database
    app.exec("INSERT INTO orders (id) VALUES (42)");
    if (sender.send_in(app, {.type = "order.created", .payload = order_json})) tx.commit();   // else rolled back
    sender.wake();
    // [/snippet:outbox-sqlitecpp]
}

void dedup(const hookline::secret& key) {
    // [snippet:dedup]
    hookline::basic_receiver<hookline::standard_verifier, hookline::sqlite_dedup_store> receiver(
        hookline::standard_verifier(key), {}, hookline::sqlite_dedup_store({.path = "/var/lib/app/webhooks.db"}));
    // [/snippet:dedup]
}

} // namespace docs::sqlite
