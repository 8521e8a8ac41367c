// Deterministic random byte edits for the schemes' robustness tests.
#pragma once

#include <random>
#include <string>

namespace test_support {

/// Deterministic random edits of `s`: replace, insert or delete bytes (all 256 values).
inline std::string mutate(std::string s, std::mt19937& rng) {
    std::uniform_int_distribution<int> byte(0, 255), op(0, 2), edits(1, 4);
    for (int n = edits(rng); n > 0; --n) {
        std::size_t pos = s.empty() ? 0 : std::uniform_int_distribution<std::size_t>(0, s.size() - 1)(rng);
        switch (op(rng)) {
        case 0:
            if (!s.empty()) s[pos] = static_cast<char>(byte(rng));
            break;
        case 1: s.insert(pos, 1, static_cast<char>(byte(rng))); break;
        default:
            if (!s.empty()) s.erase(pos, 1);
            break;
        }
    }
    return s;
}

} // namespace test_support
