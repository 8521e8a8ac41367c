/// \file The umbrella header: everything hookline offers.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/form.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/receiving/dedup_store.hpp>
#include <hookline/receiving/httplib_adapter.hpp>
#include <hookline/receiving/receiver.hpp>
#include <hookline/receiving/receiver_options.hpp>
#include <hookline/receiving/receivers.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/receiving/webhook_event.hpp>
#include <hookline/sending/retry_policy.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/signing/schemes.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>
#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/httplib_transport.hpp>
#include <hookline/transports/transport.hpp>
