// Interop with the Standard Webhooks reference library (npm standardwebhooks): signatures it makes
// verify in hookline, and hookline's verify in it. Run by ctest as: node standard.test.mjs HOOKLINE_BIN
import { createRequire } from 'node:module';
import { hooklineSign, hooklineVerify, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');

const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const now = Math.floor(Date.now() / 1000);
const bodies = ['{"test": 2432232314}', '{"type":"invoice.paid","data":{"amount":4200,"note":"caf\u00e9 \u2603"}}',
                JSON.stringify({ big: 'x'.repeat(70000) })];

for (const [i, body] of bodies.entries()) {
  const id = `msg_interop_${i}`;
  // standardwebhooks signs -> hookline verifies
  const sig = new Webhook(secret).sign(id, new Date(now * 1000), body);
  const v = hooklineVerify(['--scheme', 'standard', '--secret', secret, '-H', `webhook-id: ${id}`,
    '-H', `webhook-timestamp: ${now}`, '-H', `webhook-signature: ${sig}`, '--now', String(now)], body);
  check(`hookline verifies standardwebhooks' signature #${i}`, v.status === 0 && v.stdout.trim() === 'ok', v);
  const tampered = hooklineVerify(['--scheme', 'standard', '--secret', secret, '-H', `webhook-id: ${id}`,
    '-H', `webhook-timestamp: ${now}`, '-H', `webhook-signature: ${sig}`, '--now', String(now)], body + ' ');
  check(`hookline rejects a tampered body #${i}`, tampered.status === 1, tampered);

  // hookline signs -> standardwebhooks verifies
  const s = hooklineSign(['--scheme', 'standard', '--secret', secret, '--id', id, '--timestamp', String(now)], body);
  check(`hookline sign exits 0 #${i}`, s.status === 0, s);
  const headers = Object.fromEntries(s.stdout.trim().split('\n').map(l => {
    const c = l.indexOf(':');
    return [l.slice(0, c).trim(), l.slice(c + 1).trim()];
  }));
  let ok = false, err = '';
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false });
    ok = true;
  } catch (e) { err = e.message; }
  check(`standardwebhooks verifies hookline's signature #${i}`, ok, err);
}

// A rotation header (two keys) from hookline verifies in the reference library with either key.
const second = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
const body = '{"rotation":true}';
const s = hooklineSign(['--secret', secret, '--secret', second, '--id', 'msg_rot', '--timestamp', String(now)], body);
const headers = Object.fromEntries(s.stdout.trim().split('\n').map(l => [l.split(':')[0], l.slice(l.indexOf(':') + 1).trim()]));
for (const key of [secret, second]) {
  let ok = false;
  try { new Webhook(key).verify(body, headers, { jsonParse: false }); ok = true; } catch { /* checked below */ }
  check(`standardwebhooks accepts hookline's rotation header with either key`, ok, headers);
}
done();
