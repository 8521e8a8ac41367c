// Acceptance test of hookline's Svix-compatible management API, driven by the official `svix` SDK.
//   node svix_api.mjs [--restart] -- SERVER_PROGRAM [ARGS...]
// The server gets HOOKLINE_TOKEN in its environment and prints `listening on http://HOST:PORT` on stdout.
// It must be allowed to deliver to 127.0.0.1 (our receiver). With --restart, the server is stopped with
// SIGTERM after an app and its endpoints are registered and started again: state must survive.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Svix, Webhook, ApiException, MessageStatus, MessageAttemptTriggerType } from 'svix';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const restart = argv.slice(0, sep < 0 ? argv.length : sep).includes('--restart');
const command = sep < 0 ? [] : argv.slice(sep + 1);
if (command.length === 0) { console.error('usage: node svix_api.mjs [--restart] -- SERVER_PROGRAM [ARGS...]'); process.exit(2); }

let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) { passed++; console.log(`ok - ${name}`); return; }
  failed++;
  console.log(`not ok - ${name}`);
  if (detail !== undefined) console.log(`  # ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`.slice(0, 2000));
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const validDate = d => d instanceof Date && !Number.isNaN(d.getTime());
const sameSet = (a, b) => Array.isArray(a) && a.length === b.length && b.every(x => a.includes(x));
// The error a call rejects with (null when it resolves).
const failure = p => p.then(() => null, e => e);
const apiError = (e, code) => e instanceof ApiException && e.code === code;
const errorShape = e => e instanceof ApiException && typeof e.body?.code === 'string' && typeof e.body?.detail === 'string';
const describe = e => e instanceof ApiException ? { code: e.code, body: e.body } : String(e?.stack ?? e);
// Polls fn (a falsy result or a throw means "not yet") until it returns something or the deadline passes.
async function until(fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch { /* not yet */ }
    if (Date.now() > end) return null;
    await sleep(100);
  }
}

// ---- the server under test --------------------------------------------------------------------------
const token = `hookline_test_${randomBytes(16).toString('hex')}`;
let server = null; // { child, url, exited }
function startServer() {
  const child = spawn(command[0], command.slice(1), { env: { ...process.env, HOOKLINE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise(resolve => child.on('exit', (code, signal) => resolve({ code, signal })));
  createInterface({ input: child.stderr }).on('line', line => console.error(`[server] ${line}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the server did not print "listening on" within 20 s')); }, 20000);
    child.on('error', e => { clearTimeout(timer); reject(e); });
    exited.then(st => { clearTimeout(timer); reject(new Error(`the server exited before listening: ${JSON.stringify(st)}`)); });
    let found = false;
    createInterface({ input: child.stdout }).on('line', line => {
      console.error(`[server:stdout] ${line}`);
      const m = !found && /listening on (http:\/\/\S+)/.exec(line);
      if (m) { found = true; clearTimeout(timer); server = { child, url: m[1], exited }; resolve(server); }
    });
  });
}
async function stopServer() {
  if (!server) return null;
  const { child, exited } = server;
  server = null;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const st = await exited;
  clearTimeout(timer);
  return st;
}
process.on('exit', () => server?.child.kill('SIGKILL'));
const watchdog = setTimeout(async () => { check('the whole test finishes within 240 s', false); await stopServer(); process.exit(1); }, 240000);

// ---- our receiver: records every delivery and answers the status scripted for its path ------------------
const statusFor = { '/ok': 200, '/fail': 500 };
const seen = [];
const receiver = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const status = statusFor[req.url] ?? 404;
    seen.push({ path: req.url, body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, status,
                id: req.headers['svix-id'] ?? req.headers['webhook-id'] });
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(`status ${status}`);
  });
});
await new Promise(resolve => receiver.listen(0, '127.0.0.1', resolve));
const recvUrl = `http://127.0.0.1:${receiver.address().port}`;
function verifies(secret, rec) {
  try { new Webhook(secret).verify(rec.body, rec.headers); return true; } catch { return false; }
}
const deliveries = (path, msgId, status) => seen.filter(r => r.path === path && r.id === msgId && (status === undefined || r.status === status));

// ---- the test ---------------------------------------------------------------------------------------------
const run = randomBytes(4).toString('hex');
let svix;
async function main() {
  await startServer();
  svix = new Svix(token, { serverUrl: server.url, requestTimeout: 10000 });
  check('health.get resolves (GET /api/v1/health)', (await failure(svix.health.get())) === null);

  const intruder = new Svix(`${token}x`, { serverUrl: server.url, requestTimeout: 10000 });
  let e = await failure(intruder.application.list());
  check('a wrong token is a 401 ApiException with {code, detail}', apiError(e, 401) && errorShape(e), describe(e));

  // Event types.
  const paid = await svix.eventType.create({ name: 'invoice.paid', description: 'An invoice was paid' });
  check('eventType.create', paid.name === 'invoice.paid' && paid.description === 'An invoice was paid' && !paid.archived &&
    validDate(paid.createdAt) && validDate(paid.updatedAt), paid);
  await svix.eventType.create({ name: 'invoice.failed', description: 'A payment failed' });
  await svix.eventType.create({ name: 'invoice.draft', description: 'Soon archived' });
  check('eventType.get', (await svix.eventType.get('invoice.paid')).description === 'An invoice was paid');
  const types = await svix.eventType.list({ limit: 250 });
  check('eventType.list', Array.isArray(types.data) && typeof types.done === 'boolean' &&
    ['invoice.paid', 'invoice.failed', 'invoice.draft'].every(n => types.data.some(t => t.name === n)), types);
  const upserted = await svix.eventType.upsert('invoice.failed', { description: 'A payment attempt failed' });
  check('eventType.upsert (PUT)', upserted.name === 'invoice.failed' && upserted.description === 'A payment attempt failed', upserted);
  const patchedType = await svix.eventType.patch('invoice.failed', { deprecated: true });
  check('eventType.patch keeps what it does not name', patchedType.deprecated === true && patchedType.description === 'A payment attempt failed', patchedType);
  check('eventType.delete resolves', (await failure(svix.eventType.delete('invoice.draft'))) === null);
  check('a deleted event type is archived', (await svix.eventType.get('invoice.draft')).archived === true);
  const live = await svix.eventType.list({ limit: 250 });
  const all = await svix.eventType.list({ limit: 250, includeArchived: true });
  check('archived types are listed only with include_archived', !live.data.some(t => t.name === 'invoice.draft') &&
    all.data.some(t => t.name === 'invoice.draft'), { live, all });
  e = await failure(svix.eventType.get('no.such.type'));
  check('eventType.get of an unknown type is a 404', apiError(e, 404) && errorShape(e), describe(e));

  // Applications.
  const app = await svix.application.create({ name: 'Acme', uid: `acme-${run}`, metadata: { tier: 'gold' } });
  check('application.create', /\S/.test(app.id) && app.uid === `acme-${run}` && app.name === 'Acme' && app.metadata?.tier === 'gold' &&
    validDate(app.createdAt) && validDate(app.updatedAt), app);
  check('application.get by id', (await svix.application.get(app.id)).uid === `acme-${run}`);
  check('application.get by uid', (await svix.application.get(`acme-${run}`)).id === app.id);
  const appB = await svix.application.create({ name: 'Beta' });
  const appC = await svix.application.create({ name: 'Gamma', uid: `gamma-${run}` });
  const pages = [];
  let iterator;
  for (let i = 0; i < 50; i++) {
    const page = await svix.application.list({ limit: 2, iterator });
    pages.push(page);
    if (page.done || !page.iterator) break;
    iterator = page.iterator;
  }
  const listed = pages.flatMap(p => p.data.map(a => a.id));
  check('application.list pages with limit and iterator until done', pages.length >= 2 && pages[0].done === false &&
    pages.every(p => p.data.length <= 2) && pages.at(-1).done === true && new Set(listed).size === listed.length &&
    [app.id, appB.id, appC.id].every(id => listed.includes(id)), pages);
  const renamed = await svix.application.upsert(app.id, { name: 'Acme Corp', uid: `acme-${run}`, metadata: { tier: 'gold' } });
  check('application.upsert (PUT)', renamed.id === app.id && renamed.name === 'Acme Corp', renamed);
  const patchedApp = await svix.application.patch(app.id, { metadata: { tier: 'platinum' } });
  check('application.patch keeps what it does not name', patchedApp.name === 'Acme Corp' && patchedApp.metadata?.tier === 'platinum', patchedApp);
  const again = await svix.application.getOrCreate({ name: 'Other name', uid: `acme-${run}` });
  check('getOrCreate returns the existing application', again.id === app.id && again.name === 'Acme Corp', again);
  const fresh = await svix.application.getOrCreate({ name: 'Delta', uid: `delta-${run}` });
  check('getOrCreate creates a missing one', fresh.id !== app.id && fresh.uid === `delta-${run}` && fresh.name === 'Delta', fresh);
  e = await failure(svix.application.create({ name: 'Dup', uid: `acme-${run}` }));
  check('a duplicate uid is a 409', apiError(e, 409) && errorShape(e), describe(e));
  check('application.delete resolves', (await failure(svix.application.delete(appC.id))) === null);
  e = await failure(svix.application.get(appC.id));
  check('a deleted application is a 404 ApiException', apiError(e, 404) && errorShape(e), describe(e));
  e = await failure(svix.application.create({}));
  check('application.create without a name is a 4xx', e instanceof ApiException && e.code >= 400 && e.code < 500, describe(e));
  e = await failure(svix.application.create({ name: 'Bad', uid: 'not a valid uid!' }));
  check('a 422 carries {detail: [{loc, msg, type}]}', apiError(e, 422) && Array.isArray(e.body?.detail) &&
    e.body.detail.every(d => Array.isArray(d.loc) && typeof d.msg === 'string' && typeof d.type === 'string'), describe(e));

  // Endpoints.
  const epIn = { url: `${recvUrl}/ok`, uid: `ep-ok-${run}`, description: 'primary', eventTypes: ['invoice.paid', 'invoice.failed'],
    channels: ['billing'], metadata: { team: 'payments' }, throttleRate: 100 };
  const ep = await svix.endpoint.create(app.id, epIn);
  check('endpoint.create', /\S/.test(ep.id) && ep.url === epIn.url && ep.uid === epIn.uid && ep.description === 'primary' &&
    sameSet(ep.eventTypes, epIn.eventTypes) && sameSet(ep.channels, ['billing']) && ep.metadata?.team === 'payments' &&
    ep.throttleRate === 100 && !ep.disabled && validDate(ep.createdAt) && validDate(ep.updatedAt), ep);
  check('endpoint.get by id', (await svix.endpoint.get(app.id, ep.id)).uid === epIn.uid);
  check('endpoint.get by uid', (await svix.endpoint.get(app.id, epIn.uid)).id === ep.id);
  const failing = await svix.endpoint.create(app.id, { url: `${recvUrl}/fail`, eventTypes: ['invoice.paid'] });
  const eps = await svix.endpoint.list(app.id, { limit: 250 });
  check('endpoint.list', eps.data.some(x => x.id === ep.id) && eps.data.some(x => x.id === failing.id) && typeof eps.done === 'boolean', eps);
  const epUp = await svix.endpoint.upsert(app.id, ep.id, { ...epIn, description: 'primary, updated' });
  check('endpoint.upsert (PUT)', epUp.id === ep.id && epUp.description === 'primary, updated', epUp);
  const epPatched = await svix.endpoint.patch(app.id, ep.id, { metadata: { team: 'billing' } });
  check('endpoint.patch keeps what it does not name', epPatched.metadata?.team === 'billing' && epPatched.url === epIn.url &&
    epPatched.description === 'primary, updated' && sameSet(epPatched.eventTypes, epIn.eventTypes), epPatched);
  const secret1 = (await svix.endpoint.getSecret(app.id, ep.id)).key;
  check('endpoint.getSecret starts with whsec_', /^whsec_[A-Za-z0-9+/=]{32,}$/.test(secret1), secret1);
  check('endpoint.rotateSecret resolves', (await failure(svix.endpoint.rotateSecret(app.id, ep.id, {}))) === null);
  const secret = (await svix.endpoint.getSecret(app.id, ep.id)).key;
  check('the rotated secret differs', /^whsec_/.test(secret) && secret !== secret1, { secret1, secret });
  await svix.endpoint.setHeaders(app.id, ep.id, { headers: { 'X-Tenant': 'acme' } });
  const hdrs = await svix.endpoint.getHeaders(app.id, ep.id);
  check('endpoint.setHeaders / getHeaders', Object.entries(hdrs.headers ?? {}).some(([k, v]) => k.toLowerCase() === 'x-tenant' && v === 'acme'), hdrs);
  e = await failure(svix.endpoint.create(app.id, { url: 'not a url' }));
  check('an endpoint with an invalid URL is a 422', apiError(e, 422) && Array.isArray(e.body?.detail), describe(e));
  const doomed = await svix.endpoint.create(app.id, { url: `${recvUrl}/doomed` });
  check('endpoint.delete resolves', (await failure(svix.endpoint.delete(app.id, doomed.id))) === null);
  e = await failure(svix.endpoint.get(app.id, doomed.id));
  check('a deleted endpoint is a 404', apiError(e, 404), describe(e));

  if (restart) {
    const st = await stopServer();
    check('the server exits on SIGTERM', st.signal === 'SIGTERM' || st.code === 0, st);
    await startServer();
    svix = new Svix(token, { serverUrl: server.url, requestTimeout: 10000 });
    const app2 = await svix.application.get(app.id);
    const ep2 = await svix.endpoint.get(app.id, ep.id);
    check('after a restart the app and endpoints are kept', app2.name === 'Acme Corp' && ep2.url === epIn.url &&
      sameSet(ep2.eventTypes, epIn.eventTypes) && (await svix.endpoint.get(app.id, failing.id)).id === failing.id, { app2, ep2 });
    check('after a restart the secret is kept', (await svix.endpoint.getSecret(app.id, ep.id)).key === secret);
    check('after a restart the event types are kept', (await svix.eventType.get('invoice.paid')).name === 'invoice.paid');
  }

  // Messages.
  const started = new Date(Date.now() - 60000);
  const msgIn = { eventType: 'invoice.paid', payload: { invoice: `in_${run}`, amount: 4200 }, channels: ['billing'] };
  const msg = await svix.message.create(app.id, msgIn, { idempotencyKey: `idem-${run}` });
  check('message.create', /\S/.test(msg.id) && msg.eventType === 'invoice.paid' && validDate(msg.timestamp), msg);
  const msgAgain = await svix.message.create(app.id, msgIn, { idempotencyKey: `idem-${run}` });
  check('the same idempotency-key gives the same message', msgAgain.id === msg.id, { msg, msgAgain });
  const got = await until(() => deliveries('/ok', msg.id, 200)[0]);
  check('the receiver gets the message', !!got, seen);
  check('...and it verifies with the endpoint secret', !!got && verifies(secret, got), got);
  check('...with the payload as its body', JSON.parse(got?.body ?? 'null')?.invoice === `in_${run}`, got?.body);
  check('...and the endpoint headers', got?.headers['x-tenant'] === 'acme', got?.headers);
  const fetched = await svix.message.get(app.id, msg.id, { withContent: true });
  check('message.get with content', fetched.id === msg.id && fetched.payload?.invoice === `in_${run}` &&
    sameSet(fetched.channels ?? [], ['billing']) && validDate(fetched.timestamp), fetched);
  check('message.get without content resolves', (await svix.message.get(app.id, msg.id)).id === msg.id);
  const msgs = await svix.message.list(app.id, { withContent: true, limit: 250 });
  check('message.list has it once', msgs.data.filter(m => m.payload?.invoice === `in_${run}`).length === 1 &&
    msgs.data.some(m => m.id === msg.id), msgs);
  e = await failure(svix.message.create(`app_unknown${run}`, msgIn));
  check('message.create for an unknown app is a 404', apiError(e, 404) && errorShape(e), describe(e));

  // Attempts.
  const okAttempt = await until(async () => (await svix.messageAttempt.listByMsg(app.id, msg.id)).data
    .find(a => a.endpointId === ep.id && a.status === MessageStatus.Success));
  check('listByMsg shows the success (status 0)', !!okAttempt && okAttempt.responseStatusCode === 200 && okAttempt.msgId === msg.id &&
    okAttempt.statusText === 'success' && okAttempt.triggerType === MessageAttemptTriggerType.Scheduled &&
    okAttempt.url === epIn.url && validDate(okAttempt.timestamp) && /\S/.test(okAttempt.id), okAttempt);
  const byEp = await svix.messageAttempt.listByEndpoint(app.id, ep.id);
  check('listByEndpoint shows it', byEp.data.some(a => a.msgId === msg.id && a.status === MessageStatus.Success) &&
    typeof byEp.done === 'boolean', byEp);
  const onlyOk = await svix.messageAttempt.listByMsg(app.id, msg.id, { status: MessageStatus.Success });
  check('listByMsg filters on status', onlyOk.data.length >= 1 && onlyOk.data.every(a => a.status === MessageStatus.Success), onlyOk);
  const stats = await svix.endpoint.getStats(app.id, ep.id);
  check('endpoint.getStats', ['success', 'pending', 'sending', 'fail', 'canceled'].every(k => Number.isInteger(stats[k])) &&
    stats.success >= 1, stats);

  // A failing endpoint, then resend and recover.
  const failSecret = (await svix.endpoint.getSecret(app.id, failing.id)).key;
  const failAttempt = await until(async () => (await svix.messageAttempt.listByEndpoint(app.id, failing.id)).data
    .find(a => a.msgId === msg.id && a.status === MessageStatus.Fail));
  check('a 500 answer is a failed attempt (status 2)', !!failAttempt && failAttempt.responseStatusCode === 500, failAttempt);
  check('the failed delivery was signed with that endpoint secret', deliveries('/fail', msg.id).some(r => verifies(failSecret, r)), seen);
  statusFor['/fail'] = 200;
  check('messageAttempt.resend resolves', (await failure(svix.messageAttempt.resend(app.id, msg.id, failing.id))) === null);
  const resent = await until(() => deliveries('/fail', msg.id, 200)[0]);
  check('the resent message is delivered and verifies', !!resent && verifies(failSecret, resent), resent);
  const manual = await until(async () => (await svix.messageAttempt.listByMsg(app.id, msg.id, { endpointId: failing.id })).data
    .find(a => a.status === MessageStatus.Success && a.triggerType === MessageAttemptTriggerType.Manual));
  check('the resend is a manual attempt (triggerType 1) that succeeded', !!manual, manual);

  statusFor['/fail'] = 500;
  const msg2 = await svix.message.create(app.id, { eventType: 'invoice.paid', payload: { invoice: `in2_${run}` } });
  check('a failed delivery of a second message', !!(await until(() => deliveries('/fail', msg2.id, 500)[0])), seen);
  statusFor['/fail'] = 200;
  const recovered = await svix.endpoint.recover(app.id, failing.id, { since: started });
  check('endpoint.recover returns a task', typeof recovered?.id === 'string' && ['running', 'finished'].includes(recovered.status) &&
    recovered.task === 'endpoint.recover' && validDate(recovered.updatedAt), recovered);
  const back = await until(() => deliveries('/fail', msg2.id, 200)[0]);
  check('recover delivers the failed message', !!back && verifies(failSecret, back), back);
  check('the first message went to /ok exactly once', deliveries('/ok', msg.id).length === 1, deliveries('/ok', msg.id));
}

try {
  await main();
} catch (err) {
  check('no unexpected error', false, describe(err));
}
clearTimeout(watchdog);
await stopServer();
receiver.closeAllConnections?.();
receiver.close();
console.log(`# ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
