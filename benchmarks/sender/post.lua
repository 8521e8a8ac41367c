-- wrk script: the request hookline's sender makes (1 KiB JSON body and the same header fields:
-- Content-Type, User-Agent, Accept and the three Standard Webhooks headers with values of the real
-- lengths), so wrk's requests/s is the ceiling of the sink for *these* requests. The sink does not
-- verify signatures; the values only need the right size.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "hookline/0.1.0"
wrk.headers["Accept"] = "*/*"
wrk.headers["webhook-id"] = "msg_2b1d6ec45b0f4c8f9a61b52a8e1d7c3f"
wrk.headers["webhook-timestamp"] = "1795000000"
wrk.headers["webhook-signature"] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
local pad = string.rep("x", 1024 - 40)
wrk.body = '{"type":"bench.event","pad":"' .. pad .. '"}'
