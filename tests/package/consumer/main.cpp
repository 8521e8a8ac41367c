// Signs and verifies one Standard Webhooks message through the packaged library.
#include <hookline/hookline.hpp>

#include <cstdio>

int main() {
    auto key = hookline::secret::generate().value();
    hookline::standard_signer signer(key);
    hookline::standard_verifier verifier(key);
    const char* body = R"({"type":"ping"})";
    auto headers = signer.sign({.id = "msg_1", .body = body, .timestamp = 1700000000}).value();
    auto ok = verifier.verify({.headers = headers, .body = body}, 1700000000);
    std::printf("hookline %s: %s\n", hookline::version_string, ok ? "verified" : "FAILED");
    return ok ? 0 : 1;
}
