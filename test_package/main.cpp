// Signs one Standard Webhooks message and verifies it (and a tampered copy) with the packaged hookline.
#include <hookline/hookline.hpp>

#include <cstdio>

int main() {
    auto key = hookline::secret::generate();
    if (!key) return 1;
    hookline::standard_signer signer(*key);
    hookline::standard_verifier verifier(*key);
    const char* body = R"({"type":"test_package"})";
    auto headers = signer.sign({.id = "msg_test_package", .body = body, .timestamp = 1700000000});
    if (!headers) return 1;
    const bool ok = static_cast<bool>(verifier.verify({.headers = *headers, .body = body}, 1700000000));
    const bool tampered = static_cast<bool>(verifier.verify({.headers = *headers, .body = "{}"}, 1700000000));
    std::printf("hookline %s: signed message %s, tampered message %s\n", hookline::version_string,
                ok ? "verified" : "REJECTED", tampered ? "ACCEPTED" : "rejected");
    return ok && !tampered ? 0 : 1;
}
