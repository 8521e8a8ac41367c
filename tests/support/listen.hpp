// Starting a cpp-httplib server on its own thread without the start/stop race: the tool's helper.
#pragma once

#include "../../examples/tool/serve.hpp"

#include <thread>

namespace test_support {

/// `hookline_cli::serve_in_background`: returns once the accept loop runs (bounded: 10 s; check
/// `server.is_running()`).
inline std::thread listen_in_background(httplib::Server& server) { return hookline_cli::serve_in_background(server); }

} // namespace test_support
