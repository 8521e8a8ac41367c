/// \file The umbrella header: everything hookline offers.
#pragma once

#include <hookline/clock.hpp>
#include <hookline/config.hpp>
#include <hookline/crypto.hpp>
#include <hookline/dedup_store.hpp>
#include <hookline/encoding.hpp>
#include <hookline/error.hpp>
#include <hookline/form.hpp>
#include <hookline/headers.hpp>
#include <hookline/httplib_adapter.hpp>
#include <hookline/httplib_transport.hpp>
#include <hookline/json_scan.hpp>
#include <hookline/receiver.hpp>
#include <hookline/receivers.hpp>
#include <hookline/retry_policy.hpp>
#include <hookline/schemes.hpp>
#include <hookline/secret.hpp>
#include <hookline/sender.hpp>
#include <hookline/signer.hpp>
#include <hookline/ssrf.hpp>
#include <hookline/transport.hpp>
#include <hookline/verifier.hpp>
#include <hookline/worker_pool.hpp>
