// Interop with the Square SDK (npm square, WebhooksHelper.verifySignature): hookline's signatures verify
// there, and Square-style signatures (the SDK's vector, node:crypto for new ones) verify in hookline.
// Run by ctest as: node square.test.mjs HOOKLINE_BIN
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { hooklineSign, hooklineVerify, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { WebhooksHelper } = require('square');

const cases = [
  { key: 'Ibxx_5AKakO-3qeNVR61Dw', url: 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9',
    body: '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
    sig: 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=' },
  { key: 'signature-key', url: 'https://webhook.site/webhooks', body: '{"data":{"type":"webhooks","id":">id<"}}' },
  { key: 'k3y', url: 'https://example.com/square?tenant=1', body: JSON.stringify({ note: 'caf\u00e9 \u2603', big: 'z'.repeat(50000) }) },
];

for (const [i, c] of cases.entries()) {
  const expected = c.sig ?? createHmac('sha256', c.key).update(c.url + c.body).digest('base64');
  const v = hooklineVerify(['--scheme', 'square', '--secret', c.key, '--url', c.url,
    '-H', `x-square-hmacsha256-signature: ${expected}`], c.body);
  check(`hookline verifies a Square signature #${i}`, v.status === 0 && v.stdout.trim() === 'ok', v);
  const other = hooklineVerify(['--scheme', 'square', '--secret', c.key, '--url', c.url + '/',
    '-H', `x-square-hmacsha256-signature: ${expected}`], c.body);
  check(`hookline rejects another notification URL #${i}`, other.status === 1, other);

  const s = hooklineSign(['--scheme', 'square', '--secret', c.key, '--url', c.url], c.body);
  check(`hookline sign exits 0 #${i}`, s.status === 0, s);
  const sig = s.stdout.trim().split(': ')[1];
  check(`hookline's signature equals the expected one #${i}`, sig === expected, { sig, expected });
  const ok = await WebhooksHelper.verifySignature({ requestBody: c.body, signatureHeader: sig, signatureKey: c.key,
                                                    notificationUrl: c.url });
  check(`WebhooksHelper.verifySignature accepts hookline's signature #${i}`, ok === true, s);
  const bad = await WebhooksHelper.verifySignature({ requestBody: c.body + ' ', signatureHeader: sig, signatureKey: c.key,
                                                     notificationUrl: c.url });
  check(`WebhooksHelper.verifySignature rejects a tampered body #${i}`, bad === false, s);
}
done();
