// hookline serve --store postgres://...: the service on the PostgreSQL store (one sender in this
// translation unit). The URL (or conninfo) is libpq's; it is never printed (it may hold a password).
#include "serve_run.hpp"

#if HOOKLINE_CLI_POSTGRES
#include <hookline/stores/postgres_store.hpp>
#endif

#include <iostream>

namespace hookline_cli {

int serve_postgres(const serve_input& in) {
#if HOOKLINE_CLI_POSTGRES
    const bool url = in.store.starts_with("postgres://") || in.store.starts_with("postgresql://");
    const std::string conninfo = url ? in.store : in.store.substr(9); // postgres:CONNINFO
    auto store = hookline::postgres_store::open(
        conninfo, {.schema = in.pg_schema, .pool_size = 8, .on_error = [](const char* operation, const char* sqlstate) {
                       std::cerr << "hookline serve: PostgreSQL " << operation << " failed (SQLSTATE "
                                 << (*sqlstate ? sqlstate : "none: connection") << ")\n";
                   }});
    if (!store) {
        std::cerr << "hookline serve: cannot open the PostgreSQL store: " << store.error().message() << "\n";
        return 1;
    }
    return serve_with(in, std::move(*store));
#else
    (void)in;
    std::cerr << "hookline serve: this build has no PostgreSQL store\n";
    return 3;
#endif
}

} // namespace hookline_cli
