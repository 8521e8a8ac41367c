#include <hookline/hookline.hpp>

int sign_in_a() {
    auto key = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    auto sig =
        hookline::standard_signer(key).signature("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})");
    return sig && *sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" ? 0 : 1;
}
