// `header_view`: header_map's look-ups over a header_map or over header_refs owned elsewhere, without
// copying; iteration, conversion back to a header_map, and the verifiers reading through it.
#include <hookline/core/headers.hpp>
#include <hookline/signing/schemes/detail/hmac_support.hpp>
#include <hookline/signing/schemes/github.hpp>
#include <hookline/signing/schemes/standard.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

using namespace hookline;

TEST_CASE("header_view: look-ups over a header_map are case-insensitive and keep repeats", "[headers]") {
    const header_map h{{"Content-Type", "application/json"}, {"X-Tag", "a"}, {"x-tag", "b"}};
    const header_view v = h;
    CHECK(v.size() == 3);
    CHECK_FALSE(v.empty());
    CHECK(v.get("content-type") == "application/json");
    CHECK(v.get("X-TAG") == "a"); // the first one
    CHECK(v.count("x-tag") == 2);
    CHECK(v.contains("CONTENT-TYPE"));
    CHECK_FALSE(v.get("missing"));
    CHECK(v.get_or("missing", "fallback") == "fallback");
    CHECK(v[1] == header_ref{"X-Tag", "a"});
}

TEST_CASE("header_view: header_refs are viewed in place and iterate in order", "[headers]") {
    const std::string name = "Webhook-Id", value = "msg_1";
    const std::array<header_ref, 2> refs{header_ref{name, value}, header_ref{"Host", "example.com"}};
    const header_view v{std::span<const header_ref>(refs)};
    CHECK(v.get("webhook-id")->data() == value.data()); // no copy
    std::vector<std::string> seen;
    for (const auto& f : v) seen.push_back(std::string(f.name) + "=" + std::string(f.value));
    CHECK(seen == std::vector<std::string>{"Webhook-Id=msg_1", "Host=example.com"});
    const header_map copy = v; // implicit owning copy
    CHECK(copy == header_map{{"Webhook-Id", "msg_1"}, {"Host", "example.com"}});
    CHECK(v.to_map() == copy);
    const std::vector<header_ref> vec(refs.begin(), refs.end());
    const header_view from_vector = vec; // any contiguous container of header_refs
    CHECK(from_vector.get("host") == "example.com");
    CHECK(header_view(refs).size() == 2);
}

TEST_CASE("header_view: an empty view finds nothing", "[headers]") {
    const header_view v;
    CHECK(v.empty());
    CHECK(v.begin() == v.end());
    CHECK_FALSE(v.get("a"));
    CHECK(v.count("a") == 0);
    const header_map none;
    CHECK(header_view(none).empty());
}

TEST_CASE("header_view: alias-aware single-header look-up counts every alias in one pass", "[headers]") {
    const std::array<header_ref, 3> one{header_ref{"Host", "h"}, header_ref{"X-Shopify-Topic", " orders/create "},
                                        header_ref{"Other", "o"}};
    auto found = detail::optional_header(std::span<const header_ref>(one), {"X-Shopify-Topic", "Shopify-Topic"});
    REQUIRE(found);
    CHECK(*found == "orders/create");
    const std::array<header_ref, 2> both{header_ref{"x-shopify-topic", "a"}, header_ref{"Shopify-Topic", "b"}};
    CHECK(detail::optional_header(std::span<const header_ref>(both), {"X-Shopify-Topic", "Shopify-Topic"}).error() ==
          errc::duplicate_header);
    CHECK(detail::required_header(std::span<const header_ref>(one), {"Missing"}).error() == errc::missing_header);
}

TEST_CASE("header_view: verifiers read header_refs exactly as header_maps", "[headers]") {
    const secret k = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    const std::string body = R"({"type":"a"})";
    const header_map signed_h = standard_signer(k).sign({.id = "msg_1", .body = body, .timestamp = 1700000000}).value();
    std::vector<header_ref> refs;
    for (const auto& f : signed_h) refs.push_back({f.name, f.value});
    const standard_verifier v(k);
    auto ok = v.verify({.headers = std::span<const header_ref>(refs), .body = body}, 1700000000);
    REQUIRE(ok);
    CHECK(ok->id == "msg_1");
    refs.push_back({"WEBHOOK-ID", "msg_2"}); // a repeat in another spelling
    CHECK(v.verify({.headers = std::span<const header_ref>(refs), .body = body}, 1700000000).error() ==
          errc::duplicate_header);
}
