#include <hookline/hookline.hpp>

int sign_in_a();

int main() {
    auto key = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    hookline::header_map h{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                           {"webhook-timestamp", "1614265330"},
                           {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
    auto ok = hookline::standard_verifier(key).verify({.headers = h, .body = R"({"test": 2432232314})"}, 1614265330);
    return sign_in_a() + (ok ? 0 : 2);
}
