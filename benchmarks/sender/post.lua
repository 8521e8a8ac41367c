-- wrk script: POST a 1 KiB JSON body, like the sender's requests.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local pad = string.rep("x", 1024 - 40)
wrk.body = '{"type":"bench.event","pad":"' .. pad .. '"}'
