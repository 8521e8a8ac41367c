// A custom transport: a decorator that adds a header to every request and counts responses by
// status class, around any other transport; plus a canned transport that answers without a network
// (for tests). See docs/extending.md.
#include <hookline/hookline.hpp>

#include <array>
#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <utility>

// [snippet:transport]
/// Adds `X-Tenant` and counts answers per status class (1xx..5xx) around `Inner`.
/// Thread-safety: `send` may run on several sender workers at once (the counters are atomics, shared
/// by copies), as the `transport` concept requires.
template <hookline::transport Inner>
class tenant_transport {
public:
    tenant_transport(Inner inner, std::string tenant)
        : inner_(std::move(inner)), tenant_(std::move(tenant)), counts_(std::make_shared<counters>()) {}

    hookline::result<hookline::http_response> send(const hookline::http_request& request) {
        hookline::http_request copy = request; // the body is a view: copying it copies no bytes
        copy.headers.set("X-Tenant", tenant_);
        auto response = inner_.send(copy);
        if (response && response->status >= 100 && response->status < 600)
            ++(*counts_)[static_cast<std::size_t>(response->status / 100 - 1)];
        return response;
    }

    std::size_t count(int status_class) const { return (*counts_)[static_cast<std::size_t>(status_class - 1)]; }

private:
    using counters = std::array<std::atomic<std::size_t>, 5>;
    Inner inner_;
    std::string tenant_;
    std::shared_ptr<counters> counts_;
};
// [/snippet:transport]

// [snippet:canned]
/// Answers every request with one fixed status, without touching the network.
struct canned_transport {
    int status = 200;
    hookline::result<hookline::http_response> send(const hookline::http_request&) const {
        return hookline::http_response{.status = status};
    }
};
// [/snippet:canned]

static_assert(hookline::transport<canned_transport>);
static_assert(hookline::transport<tenant_transport<hookline::httplib_transport>>);

// [snippet:sender]
// Any transport plugs into the sender as its first template argument.
using tenant_sender = hookline::basic_sender<tenant_transport<hookline::httplib_transport>, hookline::standard_signer,
                                             hookline::standard_schedule, hookline::memory_store>;
// [/snippet:sender]

int main() {
    tenant_transport<canned_transport> transport(canned_transport{.status = 204}, "acme");
    const std::string body = R"({"type":"invoice.paid"})";
    auto response = transport.send({.url = "https://example.com/webhooks", .body = body});
    if (!response) {
        std::cerr << response.error().message() << "\n";
        return 1;
    }
    std::cout << response->status << ", 2xx so far: " << transport.count(2) << "\n";
    return response->status == 204 && transport.count(2) == 1 ? 0 : 1;
}
