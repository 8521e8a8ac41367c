// hookline send with the memory store (the default): the one sender of this translation unit.
#include "send_delivery.hpp"

namespace hookline_cli::detail {

int run_send_memory(const send_input& in) { return deliver(in, hookline::memory_store{}); }

} // namespace hookline_cli::detail
