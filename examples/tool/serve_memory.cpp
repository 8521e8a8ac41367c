// hookline serve --store memory: the service on the memory store (one sender in this translation unit).
#include "serve_run.hpp"

#include <hookline/stores/memory_store.hpp>

namespace hookline_cli {

int serve_memory(const serve_input& in) { return serve_with(in, hookline::memory_store{}); }

} // namespace hookline_cli
