// A custom retry policy: a few quick retries, then give up; honours Retry-After up to an hour and
// stops at 410 Gone. See docs/extending.md.
// The quoted code keeps the guide's layout:
// clang-format off
#include <hookline/hookline.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

// [snippet:policy]
/// Retries `attempts - 1` times, `delay` apart (longer when the endpoint is throttling us or sends
/// `Retry-After`). An immutable value: `next` is const and safe to call from any thread.
struct quick_retries {
    int attempts = 4;
    std::chrono::milliseconds delay = std::chrono::seconds(10);

    hookline::retry_decision next(int attempt, const hookline::attempt_outcome& outcome) const {
        using hookline::retry_action;
        switch (hookline::classify(outcome)) { // the stock classification: 2xx, 410, 429/5xx, errors
        case hookline::outcome_class::success: return {retry_action::done};
        case hookline::outcome_class::gone: return {retry_action::endpoint_gone};
        case hookline::outcome_class::permanent: return {retry_action::give_up};
        case hookline::outcome_class::throttled:
        case hookline::outcome_class::failure: break;
        }
        if (attempt >= attempts) return {retry_action::give_up};
        auto wait = hookline::classify(outcome) == hookline::outcome_class::throttled ? delay * 3 : delay;
        if (outcome.retry_after)
            wait = std::max<std::chrono::milliseconds>(wait, std::min<std::chrono::seconds>(*outcome.retry_after,
                                                                                            std::chrono::hours(1)));
        return {retry_action::retry, wait};
    }
};
static_assert(hookline::retry_policy<quick_retries>);

using quick_sender =
    hookline::basic_sender<hookline::httplib_transport, hookline::standard_signer, quick_retries, hookline::memory_store>;
// [/snippet:policy]

int main() {
    const quick_retries policy{.attempts = 3};
    const auto first = policy.next(1, {.status = 503});
    const auto last = policy.next(3, {.status = 500});
    const auto gone = policy.next(1, {.status = 410});
    std::cout << "503 at attempt 1: retry in " << first.delay.count() << " ms\n";
    return first.action == hookline::retry_action::retry && first.delay == std::chrono::seconds(30) &&
                   last.action == hookline::retry_action::give_up &&
                   gone.action == hookline::retry_action::endpoint_gone
               ? 0
               : 1;
}
