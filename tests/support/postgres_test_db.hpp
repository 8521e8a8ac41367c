// The PostgreSQL server the tests run against: HOOKLINE_TEST_PG holds its conninfo (tests/run.sh starts a
// throw-away cluster with tests/postgres/cluster.sh and sets it). Each test uses a fresh schema, dropped at
// the end. Without HOOKLINE_TEST_PG the tests fail, unless HOOKLINE_SKIP_PG=1 explicitly opts out.
#pragma once

#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>

#include <catch2/catch.hpp>
#include <libpq-fe.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace test_support {

/// The conninfo, or nothing when the developer opted out (HOOKLINE_SKIP_PG=1). Fails the test when neither.
inline std::optional<std::string> postgres_conninfo() {
    if (const char* ci = std::getenv("HOOKLINE_TEST_PG"); ci && *ci) return std::string(ci);
    if (const char* skip = std::getenv("HOOKLINE_SKIP_PG"); skip && std::string(skip) == "1") {
        WARN("HOOKLINE_SKIP_PG=1: PostgreSQL test skipped");
        return std::nullopt;
    }
    FAIL("HOOKLINE_TEST_PG is not set: run the tests through tests/run.sh (which starts a throw-away "
         "PostgreSQL cluster), set HOOKLINE_TEST_PG to a conninfo, or set HOOKLINE_SKIP_PG=1 to skip");
    return std::nullopt;
}

/// A fresh schema name, dropped (with everything in it) when this goes out of scope.
class scratch_schema {
public:
    explicit scratch_schema(std::string conninfo) : conninfo_(std::move(conninfo)) {
        name_ = "hookline_test_" + hookline::hex_encode(hookline::random_bytes(6).value());
    }
    ~scratch_schema() {
        PGconn* c = PQconnectdb(conninfo_.c_str());
        PQsetNoticeProcessor(
            c, [](void*, const char*) {}, nullptr);
        if (PQstatus(c) == CONNECTION_OK)
            PQclear(PQexec(c, ("DROP SCHEMA IF EXISTS \"" + name_ + "\" CASCADE").c_str()));
        PQfinish(c);
    }
    scratch_schema(const scratch_schema&) = delete;
    scratch_schema& operator=(const scratch_schema&) = delete;
    const std::string& name() const { return name_; }
    const std::string& conninfo() const { return conninfo_; }

private:
    std::string conninfo_;
    std::string name_;
};

/// A plain libpq connection (the application's own), closed on scope exit.
class app_connection {
public:
    explicit app_connection(const std::string& conninfo) : c_(PQconnectdb(conninfo.c_str())) {
        PQsetNoticeProcessor(
            c_, [](void*, const char*) {}, nullptr);
    }
    ~app_connection() { PQfinish(c_); }
    app_connection(const app_connection&) = delete;
    app_connection& operator=(const app_connection&) = delete;
    PGconn* get() const { return c_; }
    bool ok() const { return PQstatus(c_) == CONNECTION_OK; }
    /// Runs one statement; true on success.
    bool exec(const std::string& sql) {
        PGresult* r = PQexec(c_, sql.c_str());
        auto s = PQresultStatus(r);
        PQclear(r);
        return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    }
    /// The first column of the first row as text ("" when none).
    std::string scalar(const std::string& sql) {
        PGresult* r = PQexec(c_, sql.c_str());
        std::string out = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
        PQclear(r);
        return out;
    }

private:
    PGconn* c_;
};

} // namespace test_support
