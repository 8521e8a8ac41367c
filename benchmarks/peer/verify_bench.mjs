// Verify ops/s of the reference Node.js Standard Webhooks implementation (npm standardwebhooks@1.1.1):
// one fixed signed 1 KiB message, verified N times in a loop after a warm-up. The C++ counterpart is
// verify_ops.cpp (same secret, id, body and loop). Prints one JSON line.
//   node verify_bench.mjs [ITERATIONS]
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Webhook } = require("standardwebhooks");

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const iterations = Number(process.argv[2] ?? 30000);

// The same 1 KiB (1024-byte) JSON body as benchmarks/receiver/run.sh and verify_ops.cpp.
const prefix = '{"type":"invoice.paid","data":{"pad":"';
const suffix = '"}}';
const body = prefix + "x".repeat(1024 - prefix.length - suffix.length) + suffix;
if (Buffer.byteLength(body) !== 1024) throw new Error("body is not 1 KiB");

const wh = new Webhook(secret);
const id = "msg_bench";
const now = new Date();
const headers = {
  "webhook-id": id,
  "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
  "webhook-signature": wh.sign(id, now, body),
};

// hookline's standard_verifier checks the signature and the timestamp and does not parse the body, so
// the JSON parse is off here too (jsonParse: false).
const verifyOnce = () => wh.verify(body, headers, { jsonParse: false });

for (let i = 0; i < Math.max(5000, iterations / 10); ++i) verifyOnce(); // warm-up (lets V8 optimise)
const start = process.hrtime.bigint();
for (let i = 0; i < iterations; ++i) verifyOnce(); // throws on any failure
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(JSON.stringify({
  implementation: "standardwebhooks@1.1.1 (node " + process.version + ")",
  iterations,
  seconds,
  ops_per_s: iterations / seconds,
}));
