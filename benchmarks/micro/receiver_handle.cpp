// The receiver's verify-and-dispatch on a 1 KiB Standard Webhooks event: `receiver.handle(request)`
// end to end (verify, read the type from the body, dispatch to an empty handler), and its JSON step
// alone next to nlohmann/json's SAX and DOM parsers (the alternatives issue 15 weighed).
//
// Names: receiver_handle is the whole call; event_json the receiver's JSON step (simdjson On-Demand);
// nlohmann_* parse the same body with nlohmann/json.
#include <hookline/receiving/receiver.hpp>
#include <hookline/signing/schemes/standard.hpp>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace hookline;

namespace {
/// A Standard Webhooks event of exactly 1024 bytes: short members, numbers, a nested object and an
/// array, padded with a description string.
std::string event_body() {
    const std::string head =
        R"({"type":"invoice.paid","timestamp":"2026-12-04T03:00:00.000Z","data":{"id":"in_1MtHbELkdIwHu7ix)"
        R"(l4lDWjU5","object":"invoice","amount_due":4200,"amount_paid":4200,"attempt_count":1,"paid":true,)"
        R"("currency":"eur","customer":"cus_NeZwdNtLEOXuvB","lines":[{"id":"il_1","amount":2100,"quantity":1},)"
        R"({"id":"il_2","amount":2100,"quantity":1}],"metadata":{"order":"A-1042","region":"eu-west"},)"
        R"("tax":null,"total":4200.0,"description":")";
    const std::string tail = "\"}}";
    return head + std::string(1024 - head.size() - tail.size(), 'x') + tail;
}

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "bench_receiver_handle: %s failed\n", what);
    std::abort();
}

void set_counters(benchmark::State& state, std::size_t body_size) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body_size));
}

void receiver_handle(benchmark::State& state) {
    const secret key = secret::from_bytes(std::string(32, '\x2a')).value();
    const std::string body = event_body();
    auto signed_headers = standard_signer(key).sign({.id = "msg_bench", .body = body, .timestamp = unix_now()});
    if (!signed_headers) fail("sign");
    header_map headers = *signed_headers;
    headers.add("Content-Type", "application/json");
    basic_receiver<standard_verifier, null_dedup_store> rx{standard_verifier(key)};
    rx.on("invoice.paid", [](const webhook_event& e) { benchmark::DoNotOptimize(e.type.data()); });
    const request_view request{.method = "POST", .target = "/webhooks", .headers = headers, .body = body};
    if (rx.handle(request).body != "200 ok") fail("handle");
    for (auto _ : state) {
        auto res = rx.handle(request);
        benchmark::DoNotOptimize(res.status);
    }
    set_counters(state, body.size());
}
BENCHMARK(receiver_handle);

void event_json(benchmark::State& state) {
    const std::string body = event_body();
    for (auto _ : state) {
        auto fields = detail::read_event_json(body, 128, "", "type");
        if (!fields || fields->type != "invoice.paid") fail("event_json");
        benchmark::DoNotOptimize(fields);
    }
    set_counters(state, body.size());
}
BENCHMARK(event_json);

/// A SAX handler that accepts everything: the cost of nlohmann/json's parser alone.
struct accept_all {
    using json = nlohmann::json;
    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(json::number_integer_t) { return true; }
    bool number_unsigned(json::number_unsigned_t) { return true; }
    bool number_float(json::number_float_t, const json::string_t&) { return true; }
    bool string(json::string_t&) { return true; }
    bool binary(json::binary_t&) { return true; }
    bool start_object(std::size_t) { return true; }
    bool key(json::string_t&) { return true; }
    bool end_object() { return true; }
    bool start_array(std::size_t) { return true; }
    bool end_array() { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
};

void nlohmann_sax(benchmark::State& state) {
    const std::string body = event_body();
    for (auto _ : state) {
        accept_all handler;
        if (!nlohmann::json::sax_parse(body.begin(), body.end(), &handler)) fail("sax_parse");
    }
    set_counters(state, body.size());
}
BENCHMARK(nlohmann_sax);

void nlohmann_parse(benchmark::State& state) {
    const std::string body = event_body();
    for (auto _ : state) {
        auto doc = nlohmann::json::parse(body);
        benchmark::DoNotOptimize(doc);
    }
    set_counters(state, body.size());
}
BENCHMARK(nlohmann_parse);
} // namespace

BENCHMARK_MAIN();
