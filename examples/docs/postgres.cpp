// Snippets of docs/stores-postgres.md, built when libpq is found (hookline::postgres). Compiled only:
// they need a PostgreSQL server.
// The snippets keep the guide's layout:
// clang-format off
// [snippet:open]
#include <hookline/stores/postgres_store.hpp>
#include <hookline/sending/sender.hpp>
// [/snippet:open]

#include "docs.hpp"

#include <libpq-fe.h>

#include <string>

namespace docs::postgres {

void open(const hookline::secret& key) {
    // [snippet:open]
    auto store = hookline::postgres_store::open("host=db.internal dbname=app user=hookline",
                                                {.schema = "hookline", .pool_size = 4}).value();
    using pg_sender = hookline::basic_sender<hookline::httplib_transport, hookline::standard_signer,
                                             hookline::standard_schedule, hookline::postgres_store>;
    pg_sender sender(hookline::httplib_transport{}, hookline::standard_schedule{}, store);
    sender.add_endpoint("acme", {.url = "https://acme.example/webhooks", .secrets = {{key}}}).value();
    sender.send("invoice.paid", {{"invoice", "in_42"}}).value();
    // [/snippet:open]
}

using pg_sender = hookline::basic_sender<hookline::httplib_transport, hookline::standard_signer,
                                         hookline::standard_schedule, hookline::postgres_store>;
PGconn* application_connection() { return nullptr; } // stands for the application's own connection

void outbox(pg_sender& sender, const std::string& order_json) {
    // [snippet:outbox]
    PGconn* app = application_connection(); // the application's connection, same database as the store
    PQclear(PQexec(app, "BEGIN"));
    PQclear(PQexec(app, "INSERT INTO orders (id) VALUES (42)"));
    auto receipt = sender.send_in(*app, {.type = "order.created", .payload = order_json});
    PQclear(PQexec(app, receipt ? "COMMIT" : "ROLLBACK")); // no order, no event
    sender.wake();                         // deliver now; otherwise within max_idle
    // [/snippet:outbox]
}

} // namespace docs::postgres
