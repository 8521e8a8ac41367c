// A small command-line parser for the hookline tool: `--flag value`, `--flag=value`, `-H value`,
// repeatable flags, positionals. Unknown flags are usage errors.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {

/// A usage error: printed as one line, exit status 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct flag_spec {
    std::string_view name;  // "--secret"
    std::string_view alias; // "-H" or empty
    bool takes_value = true;
    bool repeatable = false;
};

class parsed_args {
public:
    parsed_args(std::vector<std::string_view> argv, const std::vector<flag_spec>& specs) {
        for (std::size_t i = 0; i < argv.size(); ++i) {
            std::string_view a = argv[i];
            if (a == "--") {
                for (++i; i < argv.size(); ++i) positionals_.emplace_back(argv[i]);
                break;
            }
            if (a.size() < 2 || a[0] != '-') {
                positionals_.emplace_back(a);
                continue;
            }
            std::string_view name = a;
            std::optional<std::string> inline_value;
            if (auto eq = a.find('='); a.starts_with("--") && eq != std::string_view::npos) {
                name = a.substr(0, eq);
                inline_value = std::string(a.substr(eq + 1));
            }
            const flag_spec* spec = nullptr;
            for (const auto& s : specs)
                if (s.name == name || (!s.alias.empty() && s.alias == name)) spec = &s;
            if (!spec) throw usage_error("unknown option " + std::string(name));
            std::string value;
            if (spec->takes_value) {
                if (inline_value) {
                    value = *inline_value;
                } else {
                    if (i + 1 >= argv.size()) throw usage_error(std::string(spec->name) + " needs a value");
                    value = std::string(argv[++i]);
                }
            } else if (inline_value) {
                throw usage_error(std::string(spec->name) + " takes no value");
            }
            auto& slot = values_[std::string(spec->name)];
            if (!slot.empty() && !spec->repeatable) throw usage_error(std::string(spec->name) + " given twice");
            slot.push_back(std::move(value));
        }
    }

    bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
    std::optional<std::string> get(std::string_view name) const {
        auto it = values_.find(std::string(name));
        if (it == values_.end()) return std::nullopt;
        return it->second.back();
    }
    std::vector<std::string> all(std::string_view name) const {
        auto it = values_.find(std::string(name));
        return it == values_.end() ? std::vector<std::string>{} : it->second;
    }
    const std::vector<std::string>& positionals() const { return positionals_; }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::vector<std::string> positionals_;
};

/// Parses a whole non-negative number of seconds, or throws a usage error naming the flag.
inline long long parse_seconds(std::string_view flag, const std::string& text) {
    std::size_t used = 0;
    long long v = -1;
    try {
        v = std::stoll(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || v < 0) throw usage_error(std::string(flag) + " takes a whole number of seconds");
    return v;
}

} // namespace hookline_cli
