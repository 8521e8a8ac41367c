// libFuzzer target: the Standard Webhooks verifier's header parsing (id, timestamp, signature list)
// on arbitrary header values and bodies. Input: fields separated by '\n': id, timestamp, signature,
// then the body (the rest). A leading byte chooses svix- names and duplicated headers.
#include <hookline/signing/schemes/standard.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {
std::string_view next_field(std::string_view& in) {
    auto nl = in.find('\n');
    auto field = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    return field;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hookline;
    static const standard_verifier verifier(secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value());
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto id = next_field(in);
    const auto ts = next_field(in);
    const auto sig = next_field(in);
    header_map h;
    const bool svix = mode & 1;
    h.add(svix ? "svix-id" : "webhook-id", std::string(id));
    h.add(svix ? "svix-timestamp" : "webhook-timestamp", std::string(ts));
    h.add(svix ? "svix-signature" : "webhook-signature", std::string(sig));
    if (mode & 2) h.add("webhook-signature", std::string(sig));
    if (mode & 4) h.erase("webhook-id");
    auto r = verifier.verify({.headers = h, .body = in}, 1614265330);
    (void)r;
    return 0;
}
