/// \file The umbrella header: everything hookline offers.
#pragma once

#include <hookline/clock.hpp>
#include <hookline/config.hpp>
#include <hookline/crypto.hpp>
#include <hookline/dedup_store.hpp>
#include <hookline/encoding.hpp>
#include <hookline/error.hpp>
#include <hookline/headers.hpp>
#include <hookline/httplib_adapter.hpp>
#include <hookline/json_scan.hpp>
#include <hookline/receiver.hpp>
#include <hookline/receivers.hpp>
#include <hookline/schemes.hpp>
#include <hookline/secret.hpp>
#include <hookline/signer.hpp>
#include <hookline/verifier.hpp>
#include <hookline/worker_pool.hpp>
// Not included (needs libsqlite3): <hookline/sqlite_dedup_store.hpp>
