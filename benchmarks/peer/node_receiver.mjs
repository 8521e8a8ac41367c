// A Standard Webhooks receiver built the way a Node.js user would: node:http + the reference npm
// package standardwebhooks@1.1.1. It does the same work per request as hookline's receiver in
// benchmarks/receiver/receiver_server.cpp (dedup off): path, method, 1 MiB body limit, content type,
// signature + timestamp, JSON parse, dispatch by event type to an empty handler, short text answer.
// Listens on 127.0.0.1, port chosen by the OS, printed on the first line of stdout.
//   node node_receiver.mjs SECRET
import http from "node:http";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const { Webhook } = require("standardwebhooks");

const wh = new Webhook(process.argv[2]);
const maxBodySize = 1024 * 1024;
const handlers = new Map(); // event type → handler; the catch-all mirrors rx.on_any(...)
const onAny = (_event) => {};

const answer = (res, status, text) => {
  res.writeHead(status, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
};

const server = http.createServer((req, res) => {
  if (req.url.split("?")[0] !== "/webhooks") return answer(res, 404, "404 not found");
  if (req.method !== "POST") return answer(res, 405, "405 method not allowed");
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > maxBodySize) tooLarge = true;
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (tooLarge) return answer(res, 413, "413 payload too large");
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
    if (type !== "application/json") return answer(res, 415, "415 unsupported media type");
    const body = Buffer.concat(chunks);
    let event;
    try {
      // jsonParse: false, then one JSON.parse below (the package would otherwise parse a second time
      // for nothing, or we would parse twice): verify, then parse once to dispatch.
      wh.verify(body, req.headers, { jsonParse: false });
    } catch {
      return answer(res, 401, "401 signature verification failed");
    }
    try {
      event = JSON.parse(body.toString());
    } catch {
      return answer(res, 400, "400 malformed body");
    }
    const handler = handlers.get(event?.type) ?? onAny;
    handler({ id: req.headers["webhook-id"], type: event?.type, data: event });
    answer(res, 200, "200 ok");
  });
});
server.keepAliveTimeout = 10000; // as bench::configure in benchmarks/receiver/common.hpp
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
