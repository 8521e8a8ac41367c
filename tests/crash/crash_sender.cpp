// The crash test's sender: sends events evt-00000 ... up to a total through a sender on an SQLite
// store, appending each id to the accepted log only after `send` returned, then waits until nothing is
// pending and exits 0. The driver (run.sh) SIGKILLs it at random moments and starts it again; a restart
// continues the numbering from the accepted log and delivers whatever the store still holds.
// With `ordered`, the endpoint delivers per key (`delivery_order::per_key`): event n has the ordering
// key k<n % 8>, and the retry schedule is long enough for a receiver that fails requests at random.
//
//   crash_sender STORE.db URL ACCEPTED_LOG TOTAL each|group [ordered]
#include <hookline/sending/sender.hpp>
#include <hookline/stores/sqlite_store.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

using namespace hookline;

int main(int argc, char** argv) {
    if (argc != 6 && argc != 7) {
        std::fprintf(stderr, "usage: crash_sender STORE.db URL ACCEPTED_LOG TOTAL each|group [ordered]\n");
        return 2;
    }
    const bool ordered = argc == 7 && std::string(argv[6]) == "ordered";
    const std::string db = argv[1], url = argv[2], log = argv[3];
    const int total = std::atoi(argv[4]);
    sqlite_store_options so;
    so.durability = std::string(argv[5]) == "group" ? sqlite_durability::group_commit : sqlite_durability::commit_each;
    auto store = sqlite_store::open(db, so);
    if (!store) {
        std::fprintf(stderr, "crash_sender: cannot open the store: %s\n", store.error().message().c_str());
        return 1;
    }

    std::mutex mutex;
    std::condition_variable cv;
    std::size_t finished = 0;
    sender_options o;
    o.workers = 4;
    o.timeout = std::chrono::seconds(2);
    o.max_idle = std::chrono::milliseconds(100);
    o.callbacks.on_attempt = [&](const attempt_report&) {
        {
            std::lock_guard lock(mutex);
            ++finished;
        }
        cv.notify_all();
    };
    httplib_transport_options topts;
    topts.addresses = address_policy::with_allowed({"127.0.0.0/8"}).value();
    fixed_schedule schedule{{std::chrono::milliseconds(50), std::chrono::milliseconds(200)}};
    if (ordered) schedule.delays.assign(12, std::chrono::milliseconds(20));
    basic_sender<httplib_transport, standard_signer, fixed_schedule, sqlite_store> sender(
        httplib_transport(topts), schedule, *store, std::move(o));
    auto key = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    if (!sender.add_endpoint("receiver", {.url = url,
                                          .secrets = {{key, 0}},
                                          .max_concurrency = 4,
                                          .order = ordered ? delivery_order::per_key : delivery_order::none}))
        return 1;
    sender.enable_endpoint("receiver").value(); // never left disabled by an earlier run

    int next = 0;
    {
        std::ifstream in(log);
        std::string line;
        while (std::getline(in, line)) ++next;
    }
    int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) return 1;
    for (int i = next; i < total; ++i) {
        char id[32];
        std::snprintf(id, sizeof id, "evt-%05d", i);
        auto r = sender.send(event{.type = "crash.test",
                                   .payload = "{\"n\":" + std::to_string(i) + "}",
                                   .id = id,
                                   .ordering_key = ordered ? "k" + std::to_string(i % 8) : std::string()});
        if (!r) {
            std::fprintf(stderr, "crash_sender: send failed: %s\n", r.error().message().c_str());
            return 1;
        }
        std::string line = std::string(id) + "\n"; // accepted: durable in the store
        if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(3)); // a steady stream, so kills land mid-stream
    }
    ::close(fd);

    // Wait (bounded) until the store holds nothing pending or in flight; woken by each attempt.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        std::size_t seen = 0;
        {
            std::lock_guard lock(mutex);
            seen = finished;
        }
        auto open_ones =
            store->list_deliveries({.statuses = {delivery_status::pending, delivery_status::in_flight}, .limit = 1});
        if (open_ones && open_ones->empty()) break;
        if (std::chrono::steady_clock::now() >= deadline) {
            std::fprintf(stderr, "crash_sender: deliveries still pending after 30 s\n");
            return 1;
        }
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished != seen; });
    }
    auto failed = store->list_deliveries({.statuses = {delivery_status::exhausted, delivery_status::failed}});
    sender.stop(std::chrono::seconds(1));
    if (!failed || !failed->empty()) {
        std::fprintf(stderr, "crash_sender: some deliveries gave up\n");
        return 1;
    }
    return 0;
}
