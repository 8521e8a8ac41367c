/// \file The PostgreSQL store's connection pool: connects, migrates the schema, prepares the statements
/// on each new connection, and hands connections out one caller at a time.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/postgres_connection.hpp>
#include <hookline/stores/detail/postgres_schema.hpp>

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::pg {

/// What the pool takes from `postgres_store_options`.
struct pool_settings {
    std::string schema;
    std::size_t pool_size = 4;
    bool migrate = true;
    std::function<void(const char* operation, const char* sqlstate)> on_error;
};

/// The connection pool and everything copies of a `postgres_store` share. Thread-safe: `take` and
/// `put_back` lock `mutex`; a taken connection is used by one caller at a time.
struct pool {
    std::string conninfo;
    pool_settings options;
    statements sql;
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<PGconn*> idle;
    std::size_t open = 0;

    pool(std::string ci, pool_settings o) : conninfo(std::move(ci)), options(std::move(o)), sql(options.schema) {}
    ~pool() {
        for (auto* c : idle) PQfinish(c);
    }
    pool(const pool&) = delete;
    pool& operator=(const pool&) = delete;

    void report(const char* op, const char* sqlstate) const {
        if (options.on_error) options.on_error(op, sqlstate);
    }

    result<PGconn*> connect() {
        PGconn* c = PQconnectdb(conninfo.c_str());
        if (!c || PQstatus(c) != CONNECTION_OK) {
            if (c) PQfinish(c);
            report("connect", "");
            return errc::store_failure;
        }
        PQsetNoticeProcessor(
            c, [](void*, const char*) {}, nullptr); // "already exists, skipping" and the like
        return c;
    }

    bool exec(PGconn* c, const char* op, const std::string& text) {
        result_set r(PQexec(c, text.c_str()));
        if (!r.ok()) report(op, r.sqlstate());
        return r.ok();
    }

    result<void> migrate(PGconn* c) {
        if (!exec(c, "migrate", "BEGIN")) return errc::store_failure;
        auto fail = [&](errc e) -> result<void> {
            exec(c, "migrate", "ROLLBACK");
            return e;
        };
        // One migrator per schema at a time, across processes.
        params lock;
        lock.text("hookline.migrate." + sql.schema);
        lock.finish();
        result_set r(PQexecParams(c, "SELECT pg_advisory_xact_lock(hashtext($1::text))", 1, lock.types.data(),
                                  lock.values.data(), lock.lengths.data(), lock.formats.data(), 1));
        if (!r.ok()) {
            report("migrate", r.sqlstate());
            return fail(errc::store_failure);
        }
        const std::string q = "\"" + sql.schema + "\"";
        if (options.migrate && !exec(c, "migrate",
                                     "CREATE SCHEMA IF NOT EXISTS " + q + "; CREATE TABLE IF NOT EXISTS " + q +
                                         ".schema_version (version integer NOT NULL)"))
            return fail(errc::store_failure);
        result_set v(PQexecParams(c, ("SELECT max(version) FROM " + q + ".schema_version").c_str(), 0, nullptr, nullptr,
                                  nullptr, nullptr, 1));
        if (!v.ok()) {
            report("migrate", v.sqlstate());
            return fail(options.migrate ? errc::store_failure : errc::schema_mismatch);
        }
        const std::int64_t have = v.null(0, 0) ? 0 : v.i64(0, 0);
        if (have > schema_version) return fail(errc::schema_mismatch);
        if (have < schema_version) {
            if (!options.migrate) return fail(errc::schema_mismatch);
            // Each version's step, in this transaction; future versions append theirs.
            if (have < 1 && !exec(c, "migrate", sql.schema_v1())) return fail(errc::store_failure);
            if (have < 2 && !exec(c, "migrate", sql.schema_v2())) return fail(errc::store_failure);
            if (have < 3 && !exec(c, "migrate", sql.schema_v3())) return fail(errc::store_failure);
            if (have < 4 && !exec(c, "migrate", sql.schema_v4())) return fail(errc::store_failure);
            if (have < 5 && !exec(c, "migrate", sql.schema_v5())) return fail(errc::store_failure);
            if (!exec(c, "migrate",
                      "DELETE FROM " + q + ".schema_version; INSERT INTO " + q + ".schema_version VALUES (" +
                          std::to_string(schema_version) + ")"))
                return fail(errc::store_failure);
        }
        if (!exec(c, "migrate", "COMMIT")) return fail(errc::store_failure);
        return {};
    }

    bool prepare(PGconn* c) {
        const std::pair<const char*, const std::string*> all[] = {{"insert_message", &sql.insert_message},
                                                                  {"claim", &sql.claim},
                                                                  {"claim_one", &sql.claim_one},
                                                                  {"next_due_one", &sql.next_due_one},
                                                                  {"next_due", &sql.next_due},
                                                                  {"due_endpoints", &sql.due_endpoints},
                                                                  {"record_attempt", &sql.record_attempt},
                                                                  {"release", &sql.release},
                                                                  {"list_attempts", &sql.list_attempts},
                                                                  {"load_endpoint", &sql.load_endpoint},
                                                                  {"save_endpoint", &sql.save_endpoint},
                                                                  {"prune_lock", &sql.prune_lock},
                                                                  {"prune_delete", &sql.prune_delete},
                                                                  {"order_lock", &sql.order_lock},
                                                                  {"record_settle", &sql.record_settle},
                                                                  {"skip_lock", &sql.skip_lock},
                                                                  {"skip", &sql.skip}};
        for (const auto& [name, text] : all) {
            result_set r(PQprepare(c, name, text->c_str(), 0, nullptr));
            if (!r.ok()) {
                report("prepare", r.sqlstate());
                return false;
            }
        }
        return true;
    }

    result<PGconn*> take() {
        {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return !idle.empty() || open < options.pool_size; });
            if (!idle.empty()) {
                PGconn* c = idle.back();
                idle.pop_back();
                return c;
            }
            ++open;
        }
        auto c = connect();
        if (c && !prepare(*c)) {
            PQfinish(*c);
            c = errc::store_failure;
        }
        if (!c) {
            std::lock_guard lock(mutex);
            --open;
            cv.notify_one();
        }
        return c;
    }

    /// Returns a connection to the pool, or closes it when it is broken or stuck in a transaction.
    void put_back(PGconn* c) {
        bool keep = PQstatus(c) == CONNECTION_OK;
        if (keep && PQtransactionStatus(c) != PQTRANS_IDLE) {
            result_set r(PQexec(c, "ROLLBACK"));
            keep = r.ok() && PQtransactionStatus(c) == PQTRANS_IDLE;
        }
        std::lock_guard lock(mutex);
        if (keep) {
            idle.push_back(c);
        } else {
            PQfinish(c);
            --open;
        }
        cv.notify_one();
    }
};

} // namespace detail::pg

HOOKLINE_END_NAMESPACE
