// hookline demo: what the demo's flow (demo.cpp), its receivers (demo_receivers.cpp) and its sender
// (demo_sender.cpp) share. Each is compiled on its own so that no translation unit builds the whole
// library.
#pragma once

#include <hookline/core/secret.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace hookline_cli::demo {

struct endpoint_spec {
    std::string id;
    std::vector<std::string> types; // subscription
    bool flaky = false;
};

/// What one integrator's receiver saw.
struct tally {
    std::mutex mutex;
    std::map<std::string, int> dispatched; // message id -> handler runs
    int duplicates = 0;
    int rejected = 0;
};

/// Mounts on `server` one verifying, de-duplicating receiver per endpoint, at "/ID", each counting into
/// `seen[ID]`. The receivers live as long as the returned owner (keep it until the server has stopped).
std::shared_ptr<void> mount_receivers(httplib::Server& server, const std::vector<endpoint_spec>& specs,
                                      const std::map<std::string, hookline::secret>& keys,
                                      std::map<std::string, std::unique_ptr<tally>>& seen);

/// What the demo's sender counts; its callbacks update it from the sender's workers.
struct outbox_stats {
    std::mutex mutex; ///< guards `retrying` (demo.cpp guards its own bookkeeping with it too)
    std::set<std::uint64_t> retrying;
    std::atomic<long> delivered{0}, failed{0}, attempts{0};
};

/// The application side: a sender with a durable SQLite store (group commit) and a short retry
/// schedule, delivering to the receivers on 127.0.0.1.
class outbox {
public:
    outbox();
    ~outbox();
    outbox(const outbox&) = delete;
    outbox& operator=(const outbox&) = delete;

    /// Opens the store at `db_path` and registers each endpoint at http://127.0.0.1:`port`/ID with its
    /// key; empty, or what went wrong. `stats` must outlive the outbox.
    std::string open(const std::string& db_path, int port, const std::vector<endpoint_spec>& specs,
                     const std::map<std::string, hookline::secret>& keys, outbox_stats& stats);
    /// Sends `data` as an event of `type` with message id `id`; the message id, or none when refused.
    std::optional<std::string> send(const std::string& type, const nlohmann::json& data, const std::string& id);
    void stop(std::chrono::milliseconds deadline);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace hookline_cli::demo
