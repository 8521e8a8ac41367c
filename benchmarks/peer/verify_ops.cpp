// Verify ops/s of hookline's standard_verifier: the C++ counterpart of verify_bench.mjs (same secret,
// id, 1 KiB body and loop: one fixed signed message verified N times after a warm-up, against the
// system clock on every call as the npm package does). Prints one JSON line.
//   bench_peer_verify_ops [ITERATIONS]
#include <hookline/hookline.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    const long iterations = argc > 1 ? std::atol(argv[1]) : 1000000;
    if (iterations <= 0) return 2;
    auto key = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    if (!key) return 2;

    // The same 1 KiB (1024-byte) JSON body as benchmarks/receiver/run.sh and verify_bench.mjs.
    const std::string prefix = R"({"type":"invoice.paid","data":{"pad":")";
    const std::string suffix = R"("}})";
    const std::string body = prefix + std::string(1024 - prefix.size() - suffix.size(), 'x') + suffix;

    const std::int64_t now = hookline::unix_now();
    auto sig = hookline::standard_signer(*key).signature("msg_bench", now, body);
    if (!sig) return 1;
    const hookline::header_map headers{
        {"webhook-id", "msg_bench"}, {"webhook-timestamp", std::to_string(now)}, {"webhook-signature", *sig}};
    const hookline::standard_verifier verifier(*key); // default tolerance: 5 minutes, as in the npm package
    const hookline::inbound_message message{.headers = headers, .body = body};

    auto verify_once = [&] {
        if (!verifier.verify(message)) { // verify(message) reads the system clock, like Date.now() in JS
            std::fputs("verification failed\n", stderr);
            std::exit(1);
        }
    };
    for (long i = 0; i < std::max(1000L, iterations / 10); ++i) verify_once(); // warm-up (pool, caches)
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < iterations; ++i) verify_once();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("{\"implementation\":\"hookline standard_verifier\",\"iterations\":%ld,\"seconds\":%.9f,"
                "\"ops_per_s\":%.1f}\n",
                iterations, seconds, static_cast<double>(iterations) / seconds);
    return 0;
}
