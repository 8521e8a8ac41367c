// Builds against hookline::postgres (compiled and linked by the package tests; not run).
#include <hookline/stores/postgres_store.hpp>

int main(int argc, char** argv) {
    if (argc < 2) return 0;
    auto store = hookline::postgres_store::open(argv[1]);
    return store ? 0 : 1;
}
