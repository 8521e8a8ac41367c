// The reference sender against hookline's receiver: requests signed by the Standard Webhooks reference
// library (npm standardwebhooks) and POSTed over HTTP to `hookline listen --json` are accepted and
// dispatched; a redelivery is a duplicate; forged, stale and unsigned ones are refused with the
// documented status. Run by ctest as: node receiver.test.mjs HOOKLINE_BIN
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { hookline, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const child = spawn(hookline, ['listen', '--scheme', 'standard', '--secret', secret, '--port', '0', '--json'],
                    { stdio: ['ignore', 'pipe', 'inherit'] });
const killer = setTimeout(() => { child.kill('SIGKILL'); console.error('FAIL: timed out'); process.exit(1); }, 60000);
const lines = [];
let waiting = null;
createInterface({ input: child.stdout }).on('line', line => {
  lines.push(line);
  if (waiting) { const w = waiting; waiting = null; w(); }
});
async function nextLine() {
  while (lines.length === 0) await new Promise(resolve => { waiting = resolve; });
  return JSON.parse(lines.shift());
}

const first = await nextLine();
const url = first.listening;
check('listen prints where it listens', typeof url === 'string' && first.port > 0, first);

async function post(headers, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, text: await r.text() };
}
const wh = new Webhook(secret);
const now = Math.floor(Date.now() / 1000);
const body = JSON.stringify({ type: 'invoice.paid', data: { amount: 4200, note: 'caf\u00e9 \u2603' } });
const signed = (id, ts = now, b = body) => ({
  'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': wh.sign(id, new Date(ts * 1000), b) });

let r = await post(signed('msg_ref_1'), body);
check('a reference-signed request is handled (200)', r.status === 200, r);
let line = await nextLine();
check('the event is printed with its type id and payload',
      line.verified === true && line.type === 'invoice.paid' && line.id === 'msg_ref_1' && line.payload?.data?.amount === 4200,
      line);

r = await post(signed('msg_ref_1', now + 5), body);
check('a redelivery of the same id is acknowledged as a duplicate (200)', r.status === 200 && r.text === '200 duplicate', r);
line = await nextLine();
check('the duplicate is reported', line.outcome === 'duplicate' && line.id === 'msg_ref_1', line);

r = await post(signed('msg_ref_2'), body + ' ');
check('a body changed after signing is refused (401)', r.status === 401, r);
line = await nextLine();
check('the forgery is reported with its reason', line.verified === false && line.reason === 'no matching signature', line);

r = await post(signed('msg_ref_3', now - 3600), body);
check('a replayed old timestamp is refused (401)', r.status === 401 && r.text === '401 timestamp too old', r);
await nextLine();

r = await post({}, body);
check('an unsigned request is refused (400)', r.status === 400 && r.text === '400 missing header', r);
await nextLine();

r = await post(signed('msg_ref_4', now, 'not json'), 'not json');
check('a signed body that is not JSON is refused (400)', r.status === 400 && r.text === '400 malformed body', r);
await nextLine();

const exited = new Promise(resolve => child.on('exit', code => resolve(code)));
child.kill('SIGTERM');
check('listen exits 0 on SIGTERM', (await exited) === 0);
clearTimeout(killer);
done();
