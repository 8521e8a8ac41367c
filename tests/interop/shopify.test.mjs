// Shopify signatures cross-checked with node:crypto (the computation @shopify/shopify-api performs:
// base64 HMAC-SHA256 of the raw body keyed with the client secret; that package is too heavy to pin here).
// Run by ctest as: node shopify.test.mjs HOOKLINE_BIN
import { createHmac } from 'node:crypto';
import { hooklineSign, hooklineVerify, check, done } from './support.mjs';

const cases = [
  { secret: 'hush', body: '{"id":820982911946154508,"email":"jon@example.com"}', sig: 'D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=' },
  { secret: 'shpss_0123456789abcdef', body: JSON.stringify({ title: 'caf\u00e9 \u2603', tags: 'x'.repeat(60000) }) },
];
for (const [i, c] of cases.entries()) {
  const expected = createHmac('sha256', c.secret).update(c.body).digest('base64');
  if (c.sig) check(`node:crypto reproduces the vector #${i}`, expected === c.sig, expected);
  for (const prefix of ['X-Shopify-', 'shopify-']) {
    const v = hooklineVerify(['--scheme', 'shopify', '--secret', 'old-secret', '--secret', c.secret,
      '-H', `${prefix}Hmac-Sha256: ${expected}`, '-H', `${prefix}Topic: orders/create`, '-H', `${prefix}Webhook-Id: wh-${i}`], c.body);
    check(`hookline verifies a Shopify signature #${i} (${prefix})`, v.status === 0 && v.stdout.trim() === 'ok', v);
  }
  const t = hooklineVerify(['--scheme', 'shopify', '--secret', c.secret, '-H', `X-Shopify-Hmac-Sha256: ${expected}`], c.body + 'x');
  check(`hookline rejects a tampered body #${i}`, t.status === 1 && t.stdout.trim() === 'no matching signature', t);
  const s = hooklineSign(['--scheme', 'shopify', '--secret', c.secret, '--type', 'orders/create', '--id', `wh-${i}`], c.body);
  check(`hookline sign exits 0 #${i}`, s.status === 0, s);
  const lines = Object.fromEntries(s.stdout.trim().split('\n').map(l => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  check(`hookline's signature equals node:crypto's #${i}`, lines['X-Shopify-Hmac-Sha256'] === expected, lines);
  check(`hookline sends topic and webhook id #${i}`, lines['X-Shopify-Topic'] === 'orders/create' && lines['X-Shopify-Webhook-Id'] === `wh-${i}`, lines);
}
done();
