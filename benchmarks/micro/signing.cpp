// Standard Webhooks signing and verification against the fastest bare OpenSSL code doing the same
// cryptographic work, in the same run: benchmarks/run.sh prints the ratios (issue 2's target is
// verify <= 1.3x bare HMAC-SHA256 + base64 at 1 KiB).
//
// Names: bare_* are plain OpenSSL calls with no hookline code; the Arg is the body size in bytes.
#include <hookline/signing/schemes/standard.hpp>

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace hookline;

namespace {
constexpr std::string_view msg_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t msg_ts = 1614265330;

std::string make_body(std::size_t n) {
    std::string body(n, '\0');
    for (std::size_t i = 0; i < n; ++i) body[i] = static_cast<char>('a' + i % 26);
    return body;
}

secret symmetric_key(unsigned char fill) {
    return secret::from_bytes(std::string(32, static_cast<char>(fill))).value();
}

secret ed25519_secret() { return secret::parse("whsk_" + base64_encode(std::string(32, '\x07'))).value(); }

/// `id.timestamp.body`: the bytes every HMAC below authenticates.
std::string signed_content(std::string_view body) {
    return std::string(msg_id) + "." + std::to_string(msg_ts) + "." + std::string(body);
}

header_map headers_for(std::string signature) {
    return {{"webhook-id", std::string(msg_id)},
            {"webhook-timestamp", std::to_string(msg_ts)},
            {"webhook-signature", std::move(signature)}};
}

void set_counters(benchmark::State& state, std::size_t body_size) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(body_size));
}

/// A benchmark of a failing call measures nothing: stop loudly.
[[noreturn]] void fail(benchmark::State& /*state*/, const char* what) {
    std::fprintf(stderr, "bench_signing: %s failed\n", what);
    std::abort();
}

// ---- bare OpenSSL baselines -------------------------------------------------------------------------

struct mac_ctx_free {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
struct mac_free {
    void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
};

/// The fastest way to HMAC with OpenSSL 3: one context keyed once, re-initialised with no key for
/// every message; then base64 with EVP_EncodeBlock into a stack buffer.
void bare_hmac_base64(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const std::string content = signed_content(body);
    const std::string key(32, '\x01');
    std::unique_ptr<EVP_MAC, mac_free> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    std::unique_ptr<EVP_MAC_CTX, mac_ctx_free> ctx(EVP_MAC_CTX_new(mac.get()));
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                           OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params) != 1)
        fail(state, "EVP_MAC_init");
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned char text[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    for (auto _ : state) { // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom of Google Benchmark
        std::size_t len = 0;
        if (EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1 ||
            EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(content.data()), content.size()) != 1 ||
            EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1)
            fail(state, "HMAC");
        int n = EVP_EncodeBlock(text, out, static_cast<int>(len));
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(text);
        benchmark::ClobberMemory();
    }
    set_counters(state, body.size());
}

/// One-shot HMAC(): schedules the key on every call (what hookline avoids); for context.
void bare_oneshot_hmac_base64(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const std::string content = signed_content(body);
    const std::string key(32, '\x01');
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned char text[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    for (auto _ : state) { // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom of Google Benchmark
        unsigned int len = 0;
        if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                  reinterpret_cast<const unsigned char*>(content.data()), content.size(), out, &len))
            fail(state, "HMAC");
        int n = EVP_EncodeBlock(text, out, static_cast<int>(len));
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(text);
        benchmark::ClobberMemory();
    }
    set_counters(state, body.size());
}

// ---- hookline: v1 (HMAC-SHA256) ---------------------------------------------------------------------

void standard_sign(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const standard_signer signer(symmetric_key(1));
    for (auto _ : state) { // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom of Google Benchmark
        auto sig = signer.signature(msg_id, msg_ts, body);
        if (!sig) fail(state, "sign");
        benchmark::DoNotOptimize(sig);
    }
    set_counters(state, body.size());
}

/// `sign`: the signature plus the three header fields, as a sender calls it.
void standard_sign_headers(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const standard_signer signer(symmetric_key(1));
    const outbound_message m{.id = msg_id, .body = body, .timestamp = msg_ts};
    for (auto _ : state) { // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom of Google Benchmark
        auto h = signer.sign(m);
        if (!h) fail(state, "sign");
        benchmark::DoNotOptimize(h);
    }
    set_counters(state, body.size());
}

void run_verify(benchmark::State& state, const standard_verifier& verifier, const header_map& headers,
                std::string_view body) {
    const inbound_message m{.headers = headers, .body = body};
    for (auto _ : state) { // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom of Google Benchmark
        auto r = verifier.verify(m, msg_ts);
        if (!r) fail(state, "verify");
        benchmark::DoNotOptimize(r);
    }
    set_counters(state, body.size());
}

void standard_verify(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const auto headers = headers_for(standard_signer(symmetric_key(1)).signature(msg_id, msg_ts, body).value());
    run_verify(state, standard_verifier(symmetric_key(1)), headers, body);
}

/// Key rotation: the verifier trusts two keys and the message was signed with the second one.
void standard_verify_rotation(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const auto headers = headers_for(standard_signer(symmetric_key(2)).signature(msg_id, msg_ts, body).value());
    run_verify(state, standard_verifier({symmetric_key(1), symmetric_key(2)}), headers, body);
}

// ---- hookline: v1a (Ed25519) ------------------------------------------------------------------------

void standard_ed25519_sign(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const standard_signer signer(ed25519_secret());
    for (auto _ : state) { // NOLINT(clang-analyzer-deadcode.DeadStores): the idiom of Google Benchmark
        auto sig = signer.signature(msg_id, msg_ts, body);
        if (!sig) fail(state, "sign");
        benchmark::DoNotOptimize(sig);
    }
    set_counters(state, body.size());
}

void standard_ed25519_verify(benchmark::State& state) {
    const std::string body = make_body(static_cast<std::size_t>(state.range(0)));
    const auto headers = headers_for(standard_signer(ed25519_secret()).signature(msg_id, msg_ts, body).value());
    run_verify(state, standard_verifier(ed25519_secret().public_key()), headers, body);
}

/// Body sizes 1 KiB and 64 KiB; with repetitions, a `min` aggregate too (the least disturbed run,
/// which benchmarks/run.sh divides by the baseline's).
void sizes_and_min(benchmark::internal::Benchmark* b) {
    b->Arg(1024)->Arg(65536)->ComputeStatistics(
        "min", [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end()); });
}
} // namespace

BENCHMARK(bare_hmac_base64)->Apply(sizes_and_min);
BENCHMARK(bare_oneshot_hmac_base64)->Apply(sizes_and_min);
BENCHMARK(standard_sign)->Apply(sizes_and_min);
BENCHMARK(standard_sign_headers)->Apply(sizes_and_min);
BENCHMARK(standard_verify)->Apply(sizes_and_min);
BENCHMARK(standard_verify_rotation)->Apply(sizes_and_min);
BENCHMARK(standard_ed25519_sign)->Apply(sizes_and_min);
BENCHMARK(standard_ed25519_verify)->Apply(sizes_and_min);

BENCHMARK_MAIN();
