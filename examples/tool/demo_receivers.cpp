// hookline demo: the integrators, one verifying, de-duplicating receiver per endpoint (see demo.hpp).
#include "demo.hpp"

#include <hookline/receiving/httplib_adapter.hpp>
#include <hookline/receiving/receiver.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hookline_cli::demo {

std::shared_ptr<void> mount_receivers(httplib::Server& server, const std::vector<endpoint_spec>& specs,
                                      const std::map<std::string, hookline::secret>& keys,
                                      std::map<std::string, std::unique_ptr<tally>>& seen) {
    using namespace hookline;
    auto receivers = std::make_shared<std::vector<std::unique_ptr<standard_receiver>>>();
    for (const auto& e : specs) {
        auto& t = *seen.at(e.id);
        receiver_options ro;
        ro.observer = [&t](const request_info& info) {
            std::lock_guard lock(t.mutex);
            if (info.result == outcome::duplicate) ++t.duplicates;
            if (info.result == outcome::rejected) ++t.rejected;
        };
        auto r = std::make_unique<standard_receiver>(standard_verifier(keys.at(e.id)), std::move(ro));
        r->on_any([&t](const webhook_event& ev) {
            std::lock_guard lock(t.mutex);
            ++t.dispatched[ev.id];
        });
        mount(server, *r, "/" + e.id);
        receivers->push_back(std::move(r));
    }
    return receivers;
}

} // namespace hookline_cli::demo
