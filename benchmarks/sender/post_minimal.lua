-- wrk script: POST a 1 KiB JSON body with only Content-Type (a lighter request than a webhook;
-- reported next to the main figure for comparison with earlier runs).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local pad = string.rep("x", 1024 - 40)
wrk.body = '{"type":"bench.event","pad":"' .. pad .. '"}'
