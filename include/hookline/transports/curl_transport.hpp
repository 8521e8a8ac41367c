/// \file `curl_transport`: the stock transport, on libcurl's multi interface. One I/O thread keeps
/// any number of requests in flight (tens of thousands), with TLS, HTTP/2 where the endpoint offers it,
/// keep-alive connection reuse per origin, connect and total timeouts, a proxy, client certificates, a
/// capped response body, and the address policy (SSRF protection) applied to every address a
/// connection is opened to. It is an `async_transport` (`start`) and a blocking `transport` (`send`).
///
/// Thread-safety: `start` and `send` may be called from any number of threads at once. Copies share
/// the I/O threads and connections; when the last copy goes away, requests still in flight complete
/// with `errc::stopped` and the threads are joined. Completions run on an I/O thread.
///
/// Link `hookline::curl` (libcurl 7.80 or later; Debian `libcurl4-openssl-dev`).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/async_transport.hpp>
#include <hookline/transports/curl_transport_options.hpp>
#include <hookline/transports/detail/curl_loop.hpp>
#include <hookline/transports/transport.hpp>

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

class curl_transport {
public:
    explicit curl_transport(curl_transport_options options = {})
        : state_(std::make_shared<state>(std::move(options))) {}

    /// Starts `request`; `done` runs on an I/O thread when it completes. A request that cannot be
    /// made (a URL that is not http(s), a header with a line break) completes at once, inside `start`.
    void start(const http_request& request, completion_handler done) {
        auto& s = *state_;
        auto url = parse_url(request.url);
        if (!url) return done(url.error());
        if (!header_name_ok(request.method)) return done(errc::invalid_argument);
        for (const auto& h : request.headers)
            if (!header_name_ok(h.name) || !header_value_ok(h.value)) return done(errc::invalid_argument);
        if (!header_value_ok(s.options.user_agent)) return done(errc::invalid_argument);
        const bool via_proxy = !s.options.proxy.empty();
        if (url->host_is_ip && via_proxy) {
            // The proxy connects: check the literal here, the only place hookline sees it.
            auto ip = ip_address::parse(url->host);
            if (!ip || !s.options.addresses.check(*ip)) return done(errc::address_refused);
        } else if (!url->host_is_ip && (via_proxy || s.options.resolver)) {
            // Resolved off the caller's thread: a slow DNS server must not hold up the sender.
            auto job = std::make_shared<pending>(pending{request, std::move(*url), std::move(done)});
            std::weak_ptr<state> weak = state_;
            if (!s.resolvers().try_submit([weak, job] {
                    result<void> started = errc::stopped;
                    if (auto st = weak.lock()) started = st->resolve_then_start(*job);
                    // Called with the state released: this thread must never be the one to destroy it.
                    if (!started) job->done(started.error());
                }))
                job->done(errc::queue_full);
            return;
        }
        if (auto started = s.launch(request, *url, nullptr, done); !started) done(started.error());
    }

    /// Blocking form: starts the request and waits for it on the calling thread.
    result<http_response> send(const http_request& request) {
        struct waiter {
            std::mutex m;
            std::condition_variable cv;
            std::optional<result<http_response>> r;
        };
        auto w = std::make_shared<waiter>();
        start(request, [w](result<http_response> r) {
            std::lock_guard lock(w->m);
            w->r = std::move(r);
            w->cv.notify_one();
        });
        std::unique_lock lock(w->m);
        w->cv.wait(lock, [&] { return w->r.has_value(); }); // every request completes: timeouts bound this
        return std::move(*w->r);
    }

    const curl_transport_options& options() const noexcept { return state_->options; }

    /// Requests started and not yet completed, over all I/O threads (approximate).
    std::size_t in_flight() const {
        std::size_t n = 0;
        for (const auto& l : state_->loops) n += l->in_flight();
        return n;
    }

private:
    struct pending {
        http_request request;
        parsed_url url;
        completion_handler done;
    };

    struct state {
        explicit state(curl_transport_options o) : options(std::move(o)) {
            const std::size_t n = options.io_threads == 0 ? 1 : options.io_threads;
            for (std::size_t i = 0; i < n; ++i)
                loops.push_back(std::make_unique<detail::curl_loop>(detail::curl_loop::limits{
                    .max_idle_connections = static_cast<long>(options.max_idle_connections),
                    .max_connections_per_host = static_cast<long>(options.max_connections_per_host)}));
        }

        curl_transport_options options;
        std::vector<std::unique_ptr<detail::curl_loop>> loops;
        std::atomic<std::size_t> next{0};
        std::once_flag resolver_once;
        std::unique_ptr<worker_pool> resolver_pool;

        worker_pool& resolvers() {
            std::call_once(resolver_once, [&] {
                resolver_pool =
                    std::make_unique<worker_pool>(worker_pool_options{.threads = 2, .queue_capacity = 65536});
            });
            return *resolver_pool;
        }

        /// Resolves and checks the destination, then starts the request; on failure `p.done` is
        /// left to the caller.
        result<void> resolve_then_start(pending& p) {
            auto found = options.resolver ? options.resolver(p.url.host) : resolve(p.url.host);
            if (!found) return found.error();
            if (auto ok = check_all(*found, options.addresses); !ok) return ok.error();
            curl_slist* pin = nullptr;
            if (options.proxy.empty()) { // pin what was resolved; through a proxy, the proxy resolves
                std::string entry = p.url.host + ":" + std::to_string(p.url.port) + ":";
                for (std::size_t i = 0; i < found->size(); ++i) {
                    const auto text = (*found)[i].to_string();
                    entry += (i ? "," : "") + ((*found)[i].v6 ? "[" + text + "]" : text);
                }
                pin = curl_slist_append(nullptr, entry.c_str());
            }
            return launch(p.request, p.url, pin, p.done);
        }

        /// Prepares the easy handle on this thread and hands it to an I/O thread, taking `done`; on
        /// failure `done` is left as it was (and `pin` freed).
        result<void> launch(const http_request& r, const parsed_url& url, curl_slist* pin, completion_handler& done) {
            auto& loop = *loops[next.fetch_add(1, std::memory_order_relaxed) % loops.size()];
            auto t = std::make_unique<detail::curl_transfer>();
            t->resolve = pin;
            t->easy = loop.take_easy();
            if (!t->easy) return errc::connection_failed;
            t->policy = &options.addresses;
            t->check_addresses = options.proxy.empty();
            t->cap = options.max_response_body;
            t->fail_on_large = options.fail_on_large_response;
            configure(*t, r, url);
            t->done = std::move(done);
            t->started = std::chrono::steady_clock::now();
            if (!loop.submit(t)) {
                done = std::move(t->done);
                curl_easy_cleanup(t->easy);
                return errc::stopped;
            }
            return {};
        }

        void configure(detail::curl_transfer& t, const http_request& r, const parsed_url& url) const {
            CURL* e = t.easy;
            curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
            curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
            curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
            curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
            curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
            curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
            curl_easy_setopt(e, CURLOPT_PROXY, options.proxy.c_str()); // "" also turns off http_proxy & co.
            if (t.resolve) {
                curl_easy_setopt(e, CURLOPT_RESOLVE, t.resolve);
                // Pinned addresses are permanent entries in libcurl's DNS cache, which no pruning removes,
                // and pruning walks the whole cache on every request: with tens of thousands of hosts
                // that walk was most of the transport's time. Nothing in the cache can expire: no pruning.
                curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, -1L);
            }
            const auto total = r.timeout.count() > 0 ? r.timeout : options.total_timeout;
            curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
            curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                             static_cast<long>(std::min(total, options.connect_timeout).count()));
            curl_easy_setopt(e, CURLOPT_MAXAGE_CONN,
                             static_cast<long>(std::max<std::int64_t>(
                                 1, std::chrono::duration_cast<std::chrono::seconds>(options.idle_timeout).count())));
            curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &detail::curl_transfer::on_open_socket);
            curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, &t);
            curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &detail::curl_transfer::on_body);
            curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
            curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &detail::curl_transfer::on_header);
            curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
            if (url.scheme == "https") {
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
                if (!options.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
                if (!options.ca_dir.empty()) curl_easy_setopt(e, CURLOPT_CAPATH, options.ca_dir.c_str());
                if (!options.client_cert_file.empty())
                    curl_easy_setopt(e, CURLOPT_SSLCERT, options.client_cert_file.c_str());
                if (!options.client_key_file.empty())
                    curl_easy_setopt(e, CURLOPT_SSLKEY, options.client_key_file.c_str());
            }
            curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                             options.http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                           : static_cast<long>(CURL_HTTP_VERSION_1_1));
            if (r.method == "HEAD") {
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
            } else if (r.method == "GET" && r.body.empty()) {
                curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
            } else {
                curl_easy_setopt(e, CURLOPT_POST, 1L);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data()); // not copied: the caller keeps it
                if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
            }
            // The request's own fields, and none of libcurl's defaults it did not ask for.
            curl_slist* h = nullptr;
            bool has_agent = false;
            for (const auto& f : r.headers) {
                has_agent = has_agent || detail::iequals(f.name, "user-agent");
                h = curl_slist_append(h, (f.name + (f.value.empty() ? ";" : ": " + f.value)).c_str());
            }
            if (!has_agent && !options.user_agent.empty())
                h = curl_slist_append(h, ("User-Agent: " + options.user_agent).c_str());
            h = curl_slist_append(h, "Expect:"); // no 100-continue round trip before the body
            h = curl_slist_append(h, "Accept:");
            t.headers = h;
            curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
        }
    };

    std::shared_ptr<state> state_;
};

static_assert(transport<curl_transport>);
static_assert(async_transport<curl_transport>);

HOOKLINE_END_NAMESPACE
