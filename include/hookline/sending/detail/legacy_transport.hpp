/// \file Source compatibility with hookline 0.1, where `standard_sender` delivered with
/// `httplib_transport`: the options of an `httplib_transport` as `curl_transport_options`, so such a
/// program keeps compiling and delivers with libcurl under the same settings.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/transports/curl_transport_options.hpp>
#include <hookline/transports/httplib_transport_options.hpp>

#include <string>

HOOKLINE_BEGIN_NAMESPACE
namespace detail {

/// Every setting that has a counterpart; the idle-pool sizes do not (libcurl sizes its cache by the
/// requests in flight) and SIGPIPE needs no handling (libcurl's thread never raises it).
inline curl_transport_options curl_options_from(const httplib_transport_options& o) {
    curl_transport_options c;
    c.total_timeout = o.total_timeout;
    c.connect_timeout = o.connect_timeout;
    c.max_response_body = o.max_response_body;
    c.fail_on_large_response = o.fail_on_large_response;
    c.addresses = o.addresses;
    c.verify_tls = o.verify_tls;
    c.ca_file = o.ca_file;
    c.ca_dir = o.ca_dir;
    c.client_cert_file = o.client_cert_file;
    c.client_key_file = o.client_key_file;
    if (!o.proxy_host.empty())
        c.proxy = "http://" + o.proxy_host + ":" + std::to_string(o.proxy_port > 0 ? o.proxy_port : 80);
    c.user_agent = o.user_agent;
    c.idle_timeout = o.idle_timeout;
    c.resolver = o.resolver;
    return c;
}

} // namespace detail
HOOKLINE_END_NAMESPACE
