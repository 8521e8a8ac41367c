/// \file Shared by the fuzz targets that compare the receiver's JSON step with nlohmann/json.
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace fuzz {
/// Nesting depth by brackets, ignoring strings: an upper bound of the real depth.
inline std::size_t json_nesting(std::string_view s) {
    std::size_t depth = 0, max = 0;
    for (char c : s) {
        if (c == '[' || c == '{')
            max = std::max(max, ++depth);
        else if ((c == ']' || c == '}') && depth > 0)
            --depth;
    }
    return max;
}
} // namespace fuzz
