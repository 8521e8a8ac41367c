// The hookline tool's verbs that live in their own translation units (send.cpp, listen.cpp, demo.cpp, serve.cpp),
// so that no one compile step builds the whole library at once. Each takes the arguments after the
// verb and returns the exit status; a usage error is thrown as `usage_error`.
#pragma once

#include <string_view>
#include <vector>

namespace hookline_cli {

int cmd_send(const std::vector<std::string_view>& argv);
int cmd_listen(const std::vector<std::string_view>& argv);
int cmd_demo(const std::vector<std::string_view>& argv);
int cmd_serve(const std::vector<std::string_view>& argv);

} // namespace hookline_cli
