// hookline send --store FILE.db: the delivery with an SQLite store, the one sender of this translation unit.
#include "send_delivery.hpp"

#include <hookline/stores/sqlite_store.hpp>

#include <iostream>

namespace hookline_cli::detail {

int run_send_sqlite(const send_input& in) {
    auto store = hookline::sqlite_store::open(in.store_path);
    if (!store) {
        std::cerr << "hookline: cannot open the store " << in.store_path << ": " << store.error().message()
                  << std::endl;
        return 1;
    }
    return deliver(in, *store);
}

} // namespace hookline_cli::detail
