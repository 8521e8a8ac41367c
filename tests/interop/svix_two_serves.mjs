// Two `hookline serve` processes on one PostgreSQL database, driven by the official svix SDK: an
// endpoint registered through one is used by the other (after its sync), messages sent through either
// are listed by both, and every message is delivered exactly once whichever process claims it.
//   node svix_two_serves.mjs HOOKLINE_BIN      (needs HOOKLINE_TEST_PG; skipped without)
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { Svix, Webhook } from 'svix';

const bin = process.argv[2];
const pg = process.env.HOOKLINE_TEST_PG;
if (!pg) { console.log('HOOKLINE_TEST_SKIPPED: HOOKLINE_TEST_PG is not set'); process.exit(0); }
execFileSync('psql', [pg, '-qc', 'DROP SCHEMA IF EXISTS hookline_two CASCADE'],
  { env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' } });

let passed = 0, failed = 0;
const check = (name, ok, detail) => {
  if (ok) { passed++; console.log(`ok - ${name}`); return; }
  failed++; console.log(`not ok - ${name}`); if (detail !== undefined) console.log(`  # ${JSON.stringify(detail)}`.slice(0, 2000));
};
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function until(fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) { try { const v = await fn(); if (v) return v; } catch { /* not yet */ } if (Date.now() > end) return null; await sleep(100); }
}
const token = `tok_${randomBytes(8).toString('hex')}`;
const children = [];
function serve() {
  const child = spawn(bin, ['serve', '--listen', '127.0.0.1:0', '--store', `postgres:${pg}`, '--pg-schema', 'hookline_two',
    '--allow-loopback', '--token', token], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  createInterface({ input: child.stderr }).on('line', l => console.error(`[serve ${children.length}] ${l}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not listen within 20 s')), 20000);
    createInterface({ input: child.stdout }).on('line', line => {
      const m = /listening on (http:\/\/\S+)/.exec(line);
      if (m) { clearTimeout(timer); const svix = new Svix(token, { serverUrl: m[1], requestTimeout: 10000 }); svix.url = m[1]; resolve(svix); }
    });
    child.on('exit', st => { clearTimeout(timer); reject(new Error(`serve exited: ${st}`)); });
  });
}
process.on('exit', () => children.forEach(c => c.kill('SIGKILL')));
const watchdog = setTimeout(() => { console.log('not ok - finishes within 120 s'); process.exit(1); }, 120000);

const seen = [];
const receiver = http.createServer((req, res) => {
  const chunks = []; req.on('data', c => chunks.push(c));
  req.on('end', () => { seen.push({ body: Buffer.concat(chunks).toString(), headers: req.headers }); res.writeHead(200); res.end(); });
});
await new Promise(r => receiver.listen(0, '127.0.0.1', r));

try {
  const a = await serve(), b = await serve();
  const app = await a.application.create({ name: 'Shared' });
  const ep = await a.endpoint.create(app.id, { url: `http://127.0.0.1:${receiver.address().port}/hook` });
  const secret = (await a.endpoint.getSecret(app.id, ep.id)).key;
  check('the second process sees the application and endpoint (one registry)', (await b.endpoint.get(app.id, ep.id)).id === ep.id);
  // B learns of the endpoint within its sync interval: until then a message through B has no target.
  const viaB = await until(async () => {
    const m = await b.message.create(app.id, { eventType: 'probe', payload: { probe: true } });
    return (await until(() => seen.find(r => r.headers['webhook-id'] === m.id), 1500)) ? m : null;
  });
  check('a message sent through the other process reaches the endpoint', !!viaB);
  const ids = [];
  for (let i = 0; i < 20; i++) ids.push((await (i % 2 ? a : b).message.create(app.id, { eventType: 'n', payload: { i } })).id);
  const all = await until(() => ids.every(id => seen.some(r => r.headers['webhook-id'] === id)));
  check('20 messages through both processes are all delivered', !!all, { got: seen.length });
  // Settled: nothing due, scheduled or in flight in the shared store (so no late duplicate can come).
  const depth = async () => (await (await fetch(`${a.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text());
  const settled = await until(async () => /queue_depth\{state="due"\} 0\n/.test(await depth()) &&
    /queue_depth\{state="scheduled"\} 0\n/.test(await depth()) && /queue_depth\{state="in_flight"\} 0\n/.test(await depth()));
  check('the shared queue settles (metrics: nothing due, scheduled or in flight)', !!settled);
  check('each exactly once', ids.every(id => seen.filter(r => r.headers['webhook-id'] === id).length === 1));
  check('each verifies with the endpoint secret', ids.every(id => {
    const r = seen.find(x => x.headers['webhook-id'] === id);
    try { new Webhook(secret).verify(r.body, r.headers); return true; } catch { return false; }
  }));
  const listed = await a.message.list(app.id, { limit: 100 });
  check('messages sent through B are listed through A', ids.every(id => listed.data.some(m => m.id === id)), listed.data.length);
} catch (e) {
  check('no unexpected error', false, String(e?.stack ?? e));
}
clearTimeout(watchdog);
for (const c of children) c.kill('SIGTERM');
receiver.close();
console.log(`# ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
