// hookline serve --store sqlite:FILE: the service on the SQLite store (one sender in this translation unit).
#include "serve_run.hpp"

#if HOOKLINE_CLI_SQLITE
#include <hookline/stores/sqlite_store.hpp>
#endif

#include <iostream>

namespace hookline_cli {

int serve_sqlite(const serve_input& in) {
#if HOOKLINE_CLI_SQLITE
    const std::string path = in.store.substr(7);
    auto store = hookline::sqlite_store::open(path);
    if (!store) {
        std::cerr << "hookline serve: cannot open the store " << path << ": " << store.error().message() << "\n";
        return 1;
    }
    return serve_with(in, std::move(*store));
#else
    (void)in;
    std::cerr << "hookline serve: this build has no SQLite store\n";
    return 3;
#endif
}

} // namespace hookline_cli
