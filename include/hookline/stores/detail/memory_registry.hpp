/// \file The memory store's registry rows (`registry_store`): one ordered map per kind, a uid index.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/registry/registry_store.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Registry rows in memory, guarded by their own mutex (not the queue's).
class memory_registry {
public:
    result<void> insert(const registry_row& row) {
        std::lock_guard lock(mutex_);
        auto& k = kinds_[row.kind];
        if (k.rows.count(row.id)) return errc::already_exists;
        if (!row.uid.empty() && k.uids.count({row.tenant, row.uid})) return errc::already_exists;
        k.rows.emplace(row.id, row);
        k.by_tenant.emplace(row.tenant, row.id);
        if (!row.uid.empty()) k.uids.emplace(std::pair{row.tenant, row.uid}, row.id);
        return {};
    }

    result<void> update(const registry_row& row) {
        std::lock_guard lock(mutex_);
        auto& k = kinds_[row.kind];
        auto it = k.rows.find(row.id);
        if (it == k.rows.end()) return errc::not_found;
        const std::pair<std::string, std::string> key{row.tenant, row.uid};
        if (!row.uid.empty())
            if (auto u = k.uids.find(key); u != k.uids.end() && u->second != row.id) return errc::already_exists;
        if (!it->second.uid.empty()) k.uids.erase({it->second.tenant, it->second.uid});
        if (!row.uid.empty()) k.uids[key] = row.id;
        k.by_tenant.erase({it->second.tenant, row.id});
        k.by_tenant.emplace(row.tenant, row.id);
        const std::int64_t created = it->second.created_at;
        it->second = row;
        it->second.created_at = created;
        return {};
    }

    result<std::optional<registry_row>> get(const std::string& kind, const std::string& id) const {
        std::lock_guard lock(mutex_);
        auto k = kinds_.find(kind);
        if (k == kinds_.end()) return std::optional<registry_row>{};
        auto it = k->second.rows.find(id);
        if (it == k->second.rows.end()) return std::optional<registry_row>{};
        return std::optional<registry_row>{it->second};
    }

    result<std::optional<registry_row>> find(const std::string& kind, const std::string& tenant,
                                             const std::string& uid) const {
        std::lock_guard lock(mutex_);
        auto k = kinds_.find(kind);
        if (k == kinds_.end() || uid.empty()) return std::optional<registry_row>{};
        auto u = k->second.uids.find({tenant, uid});
        if (u == k->second.uids.end()) return std::optional<registry_row>{};
        return std::optional<registry_row>{k->second.rows.at(u->second)};
    }

    /// Rows in id order: a walk of the kind's map, or of the (tenant, id) index for one tenant.
    result<std::vector<registry_row>> list(const registry_query& q) const {
        std::lock_guard lock(mutex_);
        std::vector<registry_row> out;
        auto k = kinds_.find(q.kind);
        if (k == kinds_.end() || q.limit == 0) return out;
        const auto& rows = k->second.rows;
        if (!q.tenant) {
            if (!q.descending) {
                for (auto it = q.after.empty() ? rows.begin() : rows.upper_bound(q.after); it != rows.end(); ++it)
                    if (out.push_back(it->second); out.size() == q.limit) break;
            } else {
                auto it = q.after.empty() ? rows.end() : rows.lower_bound(q.after);
                while (it != rows.begin())
                    if (out.push_back((--it)->second); out.size() == q.limit) break;
            }
            return out;
        }
        const auto& index = k->second.by_tenant;
        const std::string& t = *q.tenant;
        if (!q.descending) {
            auto it = q.after.empty() ? index.lower_bound({t, std::string{}}) : index.upper_bound({t, q.after});
            for (; it != index.end() && it->first == t; ++it)
                if (out.push_back(rows.at(it->second)); out.size() == q.limit) break;
        } else {
            auto it = q.after.empty() ? index.lower_bound({t + '\0', std::string{}}) : index.lower_bound({t, q.after});
            while (it != index.begin()) {
                --it;
                if (it->first != t) break;
                if (out.push_back(rows.at(it->second)); out.size() == q.limit) break;
            }
        }
        return out;
    }

    result<bool> erase(const std::string& kind, const std::string& id) {
        std::lock_guard lock(mutex_);
        auto k = kinds_.find(kind);
        if (k == kinds_.end()) return false;
        auto it = k->second.rows.find(id);
        if (it == k->second.rows.end()) return false;
        if (!it->second.uid.empty()) k->second.uids.erase({it->second.tenant, it->second.uid});
        k->second.by_tenant.erase({it->second.tenant, id});
        k->second.rows.erase(it);
        return true;
    }

    result<std::size_t> prune(const std::string& kind, std::int64_t before) {
        std::lock_guard lock(mutex_);
        auto k = kinds_.find(kind);
        if (k == kinds_.end()) return std::size_t{0};
        std::size_t n = 0;
        for (auto it = k->second.rows.begin(); it != k->second.rows.end();) {
            if (it->second.created_at < before) {
                if (!it->second.uid.empty()) k->second.uids.erase({it->second.tenant, it->second.uid});
                k->second.by_tenant.erase({it->second.tenant, it->first});
                it = k->second.rows.erase(it);
                ++n;
            } else {
                ++it;
            }
        }
        return n;
    }

private:
    struct kind_rows {
        std::map<std::string, registry_row> rows{};                        // id -> row
        std::map<std::pair<std::string, std::string>, std::string> uids{}; // (tenant, uid) -> id
        std::set<std::pair<std::string, std::string>> by_tenant{};         // (tenant, id)
    };
    mutable std::mutex mutex_;
    std::map<std::string, kind_rows> kinds_{};
};

} // namespace detail

HOOKLINE_END_NAMESPACE
