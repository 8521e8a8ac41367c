// sqlite_store: one sender per file, enforced by a lock held for the store's lifetime. Two processes
// (this test binary spawned again, running the hidden test case "sqlite_lock_child", signalling through
// pipes), a process killed while holding the lock, a second store in one process, paths that name one
// file differently, the lock file itself, and what must keep working beside it (readers, the outbox
// connection, de-duplication stores shared by design).
#include "support/sqlite_files.hpp"
#include "support/store_conformance.hpp"

#include <hookline/receiving/sqlite_dedup_store.hpp>
#include <hookline/stores/sqlite_store.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

using namespace hookline;
using test_support::make_message;
using test_support::temp_dir;
using test_support::test_options;

namespace {

const std::vector<std::string> endpoints = {"e1"};

// The child's side: fd 3 reports to the parent, fd 4 is closed by the parent to let a holder go.
constexpr int report_fd = 3;
constexpr int release_fd = 4;

/// What a child process reports on its pipe.
enum class child_report : char {
    holding = 'H', ///< opened the store, left a delivery in flight, holds the store until released
    opened = 'O',  ///< (try mode) opened the store, and closed it again
    in_use = 'U',  ///< (either mode) `store_in_use`
    failed = 'F',  ///< (either mode) any other failure
};

/// This test binary run again as a child process: `sqlite_lock_child` in `mode` ("hold" or "try") on `db`.
class child_process {
public:
    child_process(const std::string& db, const std::string& mode) {
        int report[2], release[2];
        REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(release, O_CLOEXEC) == 0);
        // Above the child's fds 0-4, so dup2 always copies (and so clears O_CLOEXEC).
        report_ = ::fcntl(report[0], F_DUPFD_CLOEXEC, 10);
        const int report_w = ::fcntl(report[1], F_DUPFD_CLOEXEC, 10);
        const int release_r = ::fcntl(release[0], F_DUPFD_CLOEXEC, 10);
        release_ = ::fcntl(release[1], F_DUPFD_CLOEXEC, 10);
        for (int fd : {report[0], report[1], release[0], release[1]}) ::close(fd);
        REQUIRE((report_ >= 0 && report_w >= 0 && release_r >= 0 && release_ >= 0));

        char exe[4096] = {};
        REQUIRE(::readlink("/proc/self/exe", exe, sizeof exe - 1) > 0);
        std::vector<std::string> env_text = {"HOOKLINE_LOCK_TEST_DB=" + db, "HOOKLINE_LOCK_TEST_MODE=" + mode};
        std::vector<char*> envp;
        for (char** e = environ; *e; ++e) envp.push_back(*e);
        for (auto& e : env_text) envp.push_back(e.data());
        envp.push_back(nullptr);
        std::string name = "sqlite_lock_child";
        std::vector<char*> argv = {exe, name.data(), nullptr};

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, report_w, report_fd);
        posix_spawn_file_actions_adddup2(&actions, release_r, release_fd);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0); // Catch2's summary
        const int rc = ::posix_spawn(&pid_, exe, &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(report_w); // the child's ends: only the child holds them now
        ::close(release_r);
        REQUIRE(rc == 0);
    }
    ~child_process() {
        if (pid_ > 0) kill();
        ::close(report_);
        if (release_ >= 0) ::close(release_);
    }
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// The child's report; a bounded wait (the child dying before it reports is a failure too).
    child_report report() {
        pollfd p{report_, POLLIN, 0};
        REQUIRE(::poll(&p, 1, 60'000) == 1);
        char c = 0;
        REQUIRE(::read(report_, &c, 1) == 1);
        return static_cast<child_report>(c);
    }

    /// Lets a holder close its store and exit; its exit status.
    int finish() {
        ::close(release_);
        release_ = -1;
        return wait();
    }

    /// SIGKILL: the process dies holding the store, as in a crash.
    void kill() {
        ::kill(pid_, SIGKILL);
        (void)wait();
    }

private:
    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    pid_t pid_ = -1;
    int report_ = -1;
    int release_ = -1;
};

void send_report(child_report r) {
    const char c = static_cast<char>(r);
    (void)!::write(report_fd, &c, 1);
}

child_report report_for(std::error_code e) {
    return e == errc::store_in_use ? child_report::in_use : child_report::failed;
}

/// A store file in a fresh directory, held by a child process in "hold" mode.
struct held_file {
    temp_dir dir;
    std::string db = dir.file();
    child_process holder{db, "hold"};
    held_file() { REQUIRE(holder.report() == child_report::holding); }
};

} // namespace

// The child's side of the two-process tests (hidden: runs only when named, in a spawned process).
TEST_CASE("sqlite_lock_child", "[.]") {
    const char* db = std::getenv("HOOKLINE_LOCK_TEST_DB");
    const char* mode = std::getenv("HOOKLINE_LOCK_TEST_MODE");
    REQUIRE(db);
    REQUIRE(mode);
    auto store = sqlite_store::open(db, test_options());
    if (!store) {
        send_report(report_for(store.error()));
        return;
    }
    if (std::string(mode) == "try") {
        send_report(child_report::opened);
        return;
    }
    // hold: one delivery in flight with a lease far ahead, as a sender working on it would leave it.
    const bool inserted = store->insert_message(make_message("held"), endpoints, 1000).value_or(false);
    auto claimed = store->claim_due(1000, 1, endpoints, 999'999'999);
    const bool ok = inserted && claimed && claimed->size() == 1;
    send_report(ok ? child_report::holding : child_report::failed);
    char c = 0;
    while (::read(release_fd, &c, 1) < 0 && errno == EINTR) { // EOF: the parent let go
    }
}

TEST_CASE("sqlite_store: a second process is refused while the first has the file, then admitted",
          "[sqlite_store][sqlite_lock]") {
    held_file held;
    const auto& db = held.db;

    auto refused = sqlite_store::open(db, test_options());
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == errc::store_in_use);
    CHECK(refused.error().message() == "store in use: another sender process holds its lock file");
    {
        child_process other(db, "try"); // a third process fares no better
        CHECK(other.report() == child_report::in_use);
    }
    // The refused opens changed nothing: the holder's delivery is still in flight.
    {
        sqlite3* raw = nullptr;
        REQUIRE(sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(raw, "SELECT status FROM hookline_deliveries", -1, &st, nullptr) == SQLITE_OK);
        REQUIRE(sqlite3_step(st) == SQLITE_ROW);
        CHECK(sqlite3_column_int64(st, 0) == static_cast<int>(delivery_status::in_flight));
        sqlite3_finalize(st);
        sqlite3_close(raw);
    }

    CHECK(held.holder.finish() == 0); // closes its store: the lock goes with it
    auto admitted = sqlite_store::open(db, test_options());
    REQUIRE(admitted);
    CHECK(admitted->message_count().value() == 1);
}

TEST_CASE("sqlite_store: the lock of a killed process vanishes with it, and its work is recovered",
          "[sqlite_store][sqlite_lock]") {
    held_file held;
    const auto& db = held.db;
    REQUIRE(sqlite_store::open(db, test_options()).error() == errc::store_in_use);

    held.holder.kill(); // SIGKILL: no destructor runs
    auto o = test_options();
    o.clock = [] { return std::int64_t{5000}; };
    auto store = sqlite_store::open(db, o);
    REQUIRE(store);
    auto recovered = store->list_deliveries({.message_id = "held"}).value();
    REQUIRE(recovered.size() == 1);
    CHECK(recovered[0].status == delivery_status::pending);
    CHECK(recovered[0].next_attempt_at == 5000);
}

TEST_CASE("sqlite_store: closing other descriptors of the files in this process keeps the lock",
          "[sqlite_store][sqlite_lock]") {
    // POSIX record locks are dropped by closing any descriptor of the file; the store's lock is not one.
    temp_dir dir;
    const auto db = dir.file();
    auto store = sqlite_store::open(db, test_options()).value();
    for (const auto& path : {db, db + "-hookline.lock"}) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        ::close(fd);
    }
    {
        sqlite3* raw = nullptr; // another connection of this process, opened and closed
        REQUIRE(sqlite3_open(db.c_str(), &raw) == SQLITE_OK);
        REQUIRE(sqlite3_exec(raw, "SELECT count(*) FROM hookline_messages", nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(raw);
    }
    child_process other(db, "try");
    CHECK(other.report() == child_report::in_use);
    CHECK(store.insert_message(make_message("m1"), endpoints, 0).value());
}

TEST_CASE("sqlite_store: a second store on the file in this process is refused; copies share one",
          "[sqlite_store][sqlite_lock]") {
    temp_dir dir;
    const auto db = dir.file();
    std::filesystem::create_directory(dir.path / "sub");
    std::filesystem::create_symlink(db, dir.file("link.db"));
    {
        auto store = sqlite_store::open(db, test_options()).value();
        CHECK(sqlite_store::open(db, test_options()).error() == errc::store_in_use);
        auto o = test_options();
        o.durability = sqlite_durability::group_commit; // options do not matter
        CHECK(sqlite_store::open(db, o).error() == errc::store_in_use);
        // Other names of the same file: a symbolic link, a longer path, a relative one.
        CHECK(sqlite_store::open(dir.file("link.db"), test_options()).error() == errc::store_in_use);
        CHECK(sqlite_store::open((dir.path / "sub" / ".." / "store.db").string(), test_options()).error() ==
              errc::store_in_use);
        CHECK(sqlite_store::open(std::filesystem::relative(db).string(), test_options()).error() == errc::store_in_use);

        auto copy = store; // the way to share
        REQUIRE(copy.insert_message(make_message("via-copy"), endpoints, 0).value());
        CHECK(store.message_count().value() == 1);
        store = sqlite_store::open(dir.file("other.db"), test_options()).value(); // a copy still holds db
        CHECK(sqlite_store::open(db, test_options()).error() == errc::store_in_use);
    }
    auto again = sqlite_store::open(db, test_options()); // every copy gone: the lock with them
    REQUIRE(again);
    CHECK(again->message_count().value() == 1);
}

TEST_CASE("sqlite_store: in-memory stores take no lock", "[sqlite_store][sqlite_lock]") {
    auto a = sqlite_store::open(":memory:", test_options());
    auto b = sqlite_store::open(":memory:", test_options());
    REQUIRE(a);
    REQUIRE(b);
    REQUIRE(a->insert_message(make_message("only-in-a"), endpoints, 0).value());
    CHECK(b->message_count().value() == 0);
}

TEST_CASE("sqlite_store: the lock file holds the owner's pid and is never followed through a link",
          "[sqlite_store][sqlite_lock]") {
    temp_dir dir;
    const auto db = dir.file();
    {
        auto store = sqlite_store::open(db, test_options()).value();
        std::ifstream in(db + "-hookline.lock");
        std::string pid;
        REQUIRE(std::getline(in, pid));
        CHECK(pid == std::to_string(::getpid()));
    }
    CHECK(std::filesystem::exists(db + "-hookline.lock")); // left in place: removing it would race

    // A link planted where the lock file goes is refused, and what it points at is left alone.
    const auto other = dir.file("other.db");
    const auto victim = dir.file("victim.txt");
    { std::ofstream(victim) << "precious"; }
    std::filesystem::create_symlink(victim, other + "-hookline.lock");
    CHECK(sqlite_store::open(other, test_options()).error() == errc::store_failure);
    std::ifstream in(victim);
    std::string text;
    std::getline(in, text);
    CHECK(text == "precious");
}

TEST_CASE("sqlite_store: readers, the outbox and shared de-duplication stores work beside the lock",
          "[sqlite_store][sqlite_lock]") {
    temp_dir dir;
    const auto db = dir.file();
    auto store = sqlite_store::open(db, test_options()).value();

    sqlite3* app = nullptr; // the application's connection: the outbox takes no lock
    REQUIRE(sqlite3_open(db.c_str(), &app) == SQLITE_OK);
    sqlite3_busy_timeout(app, 5000);
    CHECK(store.insert_message_in(app, make_message("outbox-1"), endpoints, 0).value());
    sqlite3_close(app);
    CHECK(store.message_count().value() == 1);

    // Receivers on one host share a de-duplication file by design: no lock there, even on the store's file.
    for (const auto& path : {dir.file("dedup.db"), db}) {
        INFO(path);
        auto a = sqlite_dedup_store::open({.path = path});
        auto b = sqlite_dedup_store::open({.path = path});
        REQUIRE(a);
        REQUIRE(b);
        CHECK(a->try_claim("msg_1", 100).value() == claim_status::acquired);
        CHECK(b->try_claim("msg_1", 100).value() == claim_status::in_progress);
        REQUIRE(a->complete("msg_1", 100));
        CHECK(b->try_claim("msg_1", 101).value() == claim_status::done);
    }
}
