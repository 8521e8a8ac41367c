// hookline demo: the application's sender, with a durable SQLite store (see demo.hpp).
#include "demo.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/sqlite_store.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace hookline_cli::demo {

using demo_sender = hookline::basic_sender<hookline::curl_transport, hookline::standard_signer,
                                           hookline::fixed_schedule, hookline::sqlite_store>;

struct outbox::impl {
    std::unique_ptr<demo_sender> sender;
};

outbox::outbox() : impl_(std::make_unique<impl>()) {}
outbox::~outbox() = default;

std::string outbox::open(const std::string& db_path, int port, const std::vector<endpoint_spec>& specs,
                         const std::map<std::string, hookline::secret>& keys, outbox_stats& stats) {
    using namespace hookline;
    auto store = sqlite_store::open(db_path, {.durability = sqlite_durability::group_commit});
    if (!store) return "cannot open " + db_path + ": " + store.error().message();
    sender_options so;
    so.workers = 8;
    so.callbacks.on_attempt = [&stats](const attempt_report& r) {
        ++stats.attempts;
        std::lock_guard lock(stats.mutex);
        if (r.status == delivery_status::pending)
            stats.retrying.insert(r.delivery_id);
        else
            stats.retrying.erase(r.delivery_id);
    };
    so.callbacks.on_delivered = [&stats](const attempt_report&) { ++stats.delivered; };
    so.callbacks.on_exhausted = [&stats](const attempt_report&) { ++stats.failed; };
    using namespace std::chrono_literals;
    fixed_schedule schedule{{250ms, 500ms, 1s, 1s, 2s, 2s, 4s, 4s}};
    curl_transport transport({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value()});
    impl_->sender = std::make_unique<demo_sender>(transport, schedule, *store, so);
    for (const auto& e : specs) {
        endpoint_config c;
        c.url = "http://127.0.0.1:" + std::to_string(port) + "/" + e.id;
        c.secrets = {{keys.at(e.id), 0}};
        c.event_types = e.types;
        c.max_concurrency = 2;
        if (auto added = impl_->sender->add_endpoint(e.id, c); !added)
            return "cannot add endpoint " + e.id + ": " + added.error().message();
    }
    return {};
}

std::optional<std::string> outbox::send(const std::string& type, const nlohmann::json& data, const std::string& id) {
    auto receipt = impl_->sender->send(type, data, id);
    if (!receipt) return std::nullopt;
    return receipt->message_id;
}

void outbox::stop(std::chrono::milliseconds deadline) { impl_->sender->stop(deadline); }

} // namespace hookline_cli::demo
