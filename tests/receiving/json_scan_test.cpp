// The receiver's JSON validator and member scanner agrees with nlohmann/json on what is JSON.
#include <hookline/receiving/detail/json_scan.hpp>
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace hookline;
using detail::json_scan;

TEST_CASE("json scan: accepts what nlohmann accepts and rejects what it rejects", "[json]") {
    const std::vector<std::string> cases = {
        "{}", "[]", "0", "-0", "1.5e+3", "1E5", "\"x\"", "true", "false", "null", " \t\r\n{ } ", "\xEF\xBB\xBF{}",
        R"({"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"})", "[1e400]", "-1e309", "1e-400", "0.0000001e-400",
        "1.7976931348623157e308", "17976931348623159e292", std::string("[1") + std::string(400, '0') + "]",
        "123456789012345678901234567890", "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"",
        // invalid
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "+1", "-", "1e", "1e+", "tru",
        "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\x01\"",
        "\"\xFF\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "{} {}", "[1] x",
        "\xEF\xBB{}", "[\"a\",]", "{\"a\":1 \"b\":2}"};
    for (const auto& c : cases) {
        INFO("case: " << nlohmann::json(c).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        const bool theirs = !nlohmann::json::parse(c, nullptr, false).is_discarded();
        CHECK(json_scan(c, 64).has_value() == theirs);
    }
}

TEST_CASE("json scan: a NUL byte after the value is an error", "[json]") {
    CHECK_FALSE(json_scan(std::string("{\"a\":\"b\"}\0", 10), 64));
    CHECK_FALSE(json_scan(std::string("{}\0garbage", 10), 64));
}

TEST_CASE("json scan: finds top-level members only and the last occurrence wins", "[json]") {
    auto r = json_scan(R"({"data":{"type":"inner","id":"x"},"type":"outer","id":42})", 64, "id", "type");
    REQUIRE(r);
    CHECK(r->is_object);
    CHECK(detail::json_member_text(r->first) == "42");
    CHECK(r->first.is_number);
    CHECK(detail::json_member_text(r->second) == "outer");
    auto dup = json_scan(R"({"type":"a","type":"b"})", 64, "id", "type");
    REQUIRE(dup);
    CHECK(detail::json_member_text(dup->second) == "b");
    CHECK(dup->first.raw.empty());
    auto esc = json_scan(R"({"type":"a\"b\u00e9"})", 64, "", "type");
    REQUIRE(esc);
    CHECK(esc->second.has_escapes);
    CHECK(detail::json_member_text(esc->second) == "a\"b\xC3\xA9");
    auto arr = json_scan(R"([{"type":"a"}])", 64, "id", "type");
    REQUIRE(arr);
    CHECK_FALSE(arr->is_object);
    CHECK(arr->second.raw.empty());
}

TEST_CASE("json scan: nesting beyond the limit is rejected without deep recursion", "[json]") {
    CHECK(json_scan(std::string(64, '[') + std::string(64, ']'), 64));
    CHECK_FALSE(json_scan(std::string(65, '[') + std::string(65, ']'), 64));
    CHECK_FALSE(json_scan(std::string(1 << 20, '['), 128));
    CHECK_FALSE(json_scan(std::string(1 << 20, '{'), 128));
}

TEST_CASE("json scan: every special byte is found at every offset of a long string", "[json]") {
    // The plain-run skipper reads 16 (SSE2) or 8 (SWAR) bytes at a time: put each kind of byte that
    // ends a plain run at every position across several blocks and compare with nlohmann/json.
    const std::vector<std::string> specials = {
        "\"",          "\\\"",     "\\n",          "\\u00e9",          "\\x",  "\x01", "\x1F",
        "\x7F",        "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\x80",
        "\xED\xA0\x80"};
    for (const auto& special : specials) {
        for (std::size_t at = 0; at < 48; ++at) {
            for (std::size_t tail : {0, 1, 15, 17}) {
                const std::string text = "[\"" + std::string(at, 'a') + special + std::string(tail, 'b') + "\"]";
                INFO("special " << nlohmann::json(special).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace)
                                << " at " << at << " tail " << tail);
                const bool theirs = !nlohmann::json::parse(text, nullptr, false).is_discarded();
                CHECK(json_scan(text, 64).has_value() == theirs);
            }
        }
    }
}
