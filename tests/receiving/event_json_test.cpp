// The receiver's JSON step (simdjson On-Demand) agrees with nlohmann/json on what is JSON, and finds the
// top-level id and type members.
#include <hookline/receiving/detail/event_json.hpp>
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace hookline;
using detail::read_event_json;

TEST_CASE("event json: accepts what nlohmann accepts and rejects what it rejects", "[json]") {
    const std::vector<std::string> cases = {
        "{}", "[]", "0", "-0", "1.5e+3", "1E5", "\"x\"", "true", "false", "null", " \t\r\n{ } ", "\xEF\xBB\xBF{}",
        R"({"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00"})", "[1e400]", "-1e309", "1e-400", "0.0000001e-400",
        "1.7976931348623157e308", "17976931348623159e292", "0e55555555555555555555555555",
        "[0e55555555555555555555555555]", "{\"id\":-0.0e-5555555555555555555555,\"type\":\"t\"}",
        "1e99999999999999999999999", "[1e-99999999999999999999 ]", "null\t", "true ", "1 ", "\"x\"\n", "nul l", "1 2",
        "\"x\" \"y\"", std::string("[1") + std::string(400, '0') + "]", "123456789012345678901234567890",
        "\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"",
        // invalid
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "+1", "-", "1e", "1e+", "tru",
        "nul", "True", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\x01\"",
        "\"\xFF\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "{} {}", "[1] x",
        "\xEF\xBB{}", "[\"a\",]", "{\"a\":1 \"b\":2}"};
    for (const auto& c : cases) {
        INFO("case: " << nlohmann::json(c).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace));
        const bool theirs = !nlohmann::json::parse(c, nullptr, false).is_discarded();
        CHECK(read_event_json(c, 64).has_value() == theirs);
    }
}

TEST_CASE("event json: an empty view (null data) is not JSON", "[json]") {
    // Found by fuzz_receiver_handle under UBSan: an empty body's data() may be null.
    CHECK_FALSE(read_event_json(std::string_view{}, 64, "id", "type"));
    CHECK_FALSE(read_event_json(std::string_view{}, 64));
}

TEST_CASE("event json: a NUL byte after the value is an error", "[json]") {
    CHECK_FALSE(read_event_json(std::string("{\"a\":\"b\"}\0", 10), 64));
    CHECK_FALSE(read_event_json(std::string("{}\0garbage", 10), 64));
}

TEST_CASE("event json: finds top-level members only and the last occurrence wins", "[json]") {
    auto r = read_event_json(R"({"data":{"type":"inner","id":"x"},"type":"outer","id":42})", 64, "id", "type");
    REQUIRE(r);
    CHECK(r->id == "42");
    CHECK(r->type == "outer");
    auto dup = read_event_json(R"({"type":"a","type":"b"})", 64, "id", "type");
    REQUIRE(dup);
    CHECK(dup->type == "b");
    CHECK_FALSE(dup->id);
    auto esc = read_event_json(R"({"type":"a\"b\u00e9"})", 64, "", "type");
    REQUIRE(esc);
    CHECK(esc->type == "a\"b\xC3\xA9");
    auto arr = read_event_json(R"([{"type":"a"}])", 64, "id", "type");
    REQUIRE(arr);
    CHECK_FALSE(arr->type);
    CHECK_FALSE(arr->id);
}

TEST_CASE("event json: member kinds the id and type take", "[json]") {
    // The id: a string's text or a number as written; the type: strings only. Other kinds leave
    // the field empty, and a later member of another kind clears an earlier one.
    auto nums = read_event_json(R"({"id": -1.5e3 , "type": 7})", 64, "id", "type");
    REQUIRE(nums);
    CHECK(nums->id == "-1.5e3");
    CHECK_FALSE(nums->type);
    auto kinds = read_event_json(R"({"id":"a","type":"t","id":{"x":1},"type":[1]})", 64, "id", "type");
    REQUIRE(kinds);
    CHECK_FALSE(kinds->id);
    CHECK_FALSE(kinds->type);
    auto literals = read_event_json(R"({"id":true,"type":null})", 64, "id", "type");
    REQUIRE(literals);
    CHECK_FALSE(literals->id);
    CHECK_FALSE(literals->type);
    // The same member may name both.
    auto both = read_event_json(R"({"k":"v"})", 64, "k", "k");
    REQUIRE(both);
    CHECK(both->id == "v");
    CHECK(both->type == "v");
    // A wanted member's value is validated like any other.
    CHECK_FALSE(read_event_json(R"({"id":01})", 64, "id", "type"));
    CHECK_FALSE(read_event_json(R"({"type":"\x"})", 64, "id", "type"));
    CHECK_FALSE(read_event_json(R"({"id":[1,]})", 64, "id", "type"));
    CHECK_FALSE(read_event_json(R"({"id":1e400})", 64, "id", "type"));
}

TEST_CASE("event json: nesting beyond the limit is rejected without deep recursion", "[json]") {
    CHECK(read_event_json(R"({"a":{"b":[1]}})", 3));
    CHECK_FALSE(read_event_json(R"({"a":{"b":[1]}})", 2));
    CHECK_FALSE(read_event_json("{}", 0));
    CHECK(read_event_json("1", 0));
    CHECK(read_event_json(std::string(64, '[') + std::string(64, ']'), 64));
    CHECK_FALSE(read_event_json(std::string(65, '[') + std::string(65, ']'), 64));
    CHECK_FALSE(read_event_json(std::string(1 << 20, '['), 128));
    CHECK_FALSE(read_event_json(std::string(1 << 20, '{'), 128));
}

TEST_CASE("event json: every special byte is found at every offset of a long string", "[json]") {
    // simdjson reads 64-byte blocks: put each kind of byte that ends a plain run at every position
    // across block boundaries and compare with nlohmann/json.
    const std::vector<std::string> specials = {
        "\"",          "\\\"",     "\\n",          "\\u00e9",          "\\x",  "\x01", "\x1F",
        "\x7F",        "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\x80",
        "\xED\xA0\x80"};
    for (const auto& special : specials) {
        for (std::size_t at = 0; at < 140; ++at) {
            for (std::size_t tail : {0, 1, 15, 17}) {
                const std::string text = "[\"" + std::string(at, 'a') + special + std::string(tail, 'b') + "\"]";
                INFO("special " << nlohmann::json(special).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace)
                                << " at " << at << " tail " << tail);
                const bool theirs = !nlohmann::json::parse(text, nullptr, false).is_discarded();
                CHECK(read_event_json(text, 64).has_value() == theirs);
            }
        }
    }
}
