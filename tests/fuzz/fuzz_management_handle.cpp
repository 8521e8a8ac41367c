// libFuzzer target: the management API's door: path and query decoding, routing, JSON bodies read into
// applications, endpoints, event types and messages, idempotency keys. Input: the method on the first
// line, the target on the second, an Idempotency-Key on the third (empty: none), the body after. One
// API on a memory store lives across inputs, so later inputs meet what earlier ones created; deliveries
// go to a transport that answers 200 at once. Every answer must be a 2xx-4xx with a JSON body (or none):
// no input may make the API fail (5xx) or crash.
#include <hookline/management/api.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct instant_transport {
    hookline::result<hookline::http_response> send(const hookline::http_request&) {
        return hookline::http_response{200, {}, "", {}};
    }
};
using sender_type = hookline::basic_sender<instant_transport, hookline::standard_signer, hookline::fixed_schedule,
                                           hookline::memory_store>;

struct world {
    hookline::memory_store store{};
    sender_type sender{instant_transport{}, hookline::fixed_schedule({}), store,
                       hookline::sender_options{.workers = 1, .logger = nullptr}};
    hookline::basic_management_api<sender_type> api{
        sender,
        hookline::basic_registry<hookline::memory_store>::open(store, {.secret_key = std::string(32, 'k')}).value(),
        {.authoriser = hookline::token_authoriser{"t"}, .max_body_bytes = 65536, .logger = nullptr}};
};

std::string_view line(std::string_view& in) {
    const auto nl = in.find('\n');
    std::string_view out = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static world w; // one for the whole run (destroyed at exit)
    std::string_view in(reinterpret_cast<const char*>(data), size);
    const std::string method(line(in)), target(line(in)), key(line(in));
    hookline::header_map headers{{"Authorization", "Bearer t"}};
    if (!key.empty()) headers.add("Idempotency-Key", key);
    const std::string body(in);
    auto r = w.api.handle(
        {.method = method, .target = target, .headers = headers, .body = body, .content_length = body.size()});
    if (r.status < 200 || r.status >= 500) std::abort();
    if (!r.body.empty() && r.headers.get("Content-Type") == std::string_view("application/json") &&
        nlohmann::json::parse(r.body, nullptr, false).is_discarded())
        std::abort();
    return 0;
}
