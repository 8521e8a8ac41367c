// Interop with twilio-node (npm twilio): signatures from getExpectedTwilioSignature verify in hookline,
// and hookline's verify in validateRequest / validateRequestWithBody, for form-encoded POST parameters
// and for the bodySHA256 JSON variant. Run by ctest as: node twilio.test.mjs HOOKLINE_BIN
import { createRequire } from 'node:module';
import { hooklineSign, hooklineVerify, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { getExpectedTwilioSignature, validateRequest, validateRequestWithBody, getExpectedBodyHash } = require('twilio');

const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
const other = 'ffffffffffffffffffffffffffffffff';

// Form bodies as Twilio posts them: params object (array = repeated name) and its encoding.
const paramSets = [
  { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
  { Body: 'Hello & welcome = 100% "quoted" +plus', From: 'whatsapp:+14155238886', MediaUrl0: 'https://x.test/a?b=c&d=e' },
  { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '5678'] },
  { Body: 'caf\u00e9 \u2603 \u{1F600}', Empty: '', 'Name With Space': 'v' },
  {},
];
const encode = params => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of [].concat(v)) u.append(k, x);
  return u.toString();
};
const urls = ['https://example.com/twilio/voice?x=1&y=two', 'https://example.com/sms', 'http://example.com/hook?a=%20b'];
const withDefaultPort = url => url.replace(/^(https?):\/\/([^/?#]+)/, (m, s, h) => `${s}://${h}:${s === 'https' ? 443 : 80}`);
const header = (stdout, name) => {
  const line = stdout.split('\n').find(l => l.toLowerCase().startsWith(name.toLowerCase() + ':'));
  return line === undefined ? undefined : line.slice(line.indexOf(':') + 1).trim();
};

for (const [i, params] of paramSets.entries()) {
  const body = encode(params);
  for (const [j, url] of urls.entries()) {
    const tag = `form #${i} url #${j}`;
    // twilio signs -> hookline verifies (as signed, and received with the default port)
    const sig = getExpectedTwilioSignature(token, url, params);
    for (const received of [url, withDefaultPort(url)]) {
      const v = hooklineVerify(['--scheme', 'twilio', '--secret', token, '--url', received,
        '-H', `X-Twilio-Signature: ${sig}`, '-H', 'Content-Type: application/x-www-form-urlencoded'], body);
      check(`hookline verifies twilio's signature, ${tag}, received ${received}`, v.status === 0 && v.stdout.trim() === 'ok', v);
    }
    const wrong = hooklineVerify(['--scheme', 'twilio', '--secret', other, '--url', url, '-H', `X-Twilio-Signature: ${sig}`], body);
    check(`hookline rejects twilio's signature under another token, ${tag}`,
      wrong.status === 1 && wrong.stdout.trim() === 'no matching signature', wrong);
    const tampered = hooklineVerify(['--scheme', 'twilio', '--secret', token, '--url', url, '-H', `X-Twilio-Signature: ${sig}`],
      body + (body ? '&' : '') + 'Injected=1');
    check(`hookline rejects an added parameter, ${tag}`, tampered.status === 1, tampered);
    const rotated = hooklineVerify(['--scheme', 'twilio', '--secret', other, '--secret', token, '--url', url,
      '-H', `X-Twilio-Signature: ${sig}`], body);
    check(`hookline accepts with the token second in a rotation, ${tag}`, rotated.status === 0, rotated);

    // hookline signs -> twilio verifies
    const s = hooklineSign(['--scheme', 'twilio', '--secret', token, '--url', url, '--id', `idem-${i}-${j}`], body);
    check(`hookline sign exits 0, ${tag}`, s.status === 0, s);
    const hsig = header(s.stdout, 'X-Twilio-Signature');
    check(`hookline's signature equals twilio's, ${tag}`, hsig === sig, { hsig, sig });
    check(`validateRequest accepts hookline's signature, ${tag}`, validateRequest(token, hsig, url, params), s);
    check(`validateRequest accepts hookline's signature with the default port, ${tag}`,
      validateRequest(token, hsig, withDefaultPort(url), params), s);
    check(`validateRequest rejects hookline's signature under another token, ${tag}`,
      !validateRequest(other, hsig, url, params), s);
    check(`hookline sends the idempotency token, ${tag}`, header(s.stdout, 'I-Twilio-Idempotency-Token') === `idem-${i}-${j}`, s);
  }
}

// JSON bodies: the bodySHA256 variant.
const jsonBodies = ['{"property": "value", "boolean": true}', JSON.stringify({ event: 'com.twilio.x', data: { note: 'caf\u00e9 \u2603' } }),
                    JSON.stringify({ big: 'y'.repeat(70000) })];
for (const [i, body] of jsonBodies.entries()) {
  const base = i === 1 ? 'https://example.com/events' : 'https://example.com/events?tenant=7';
  const url = base + (base.includes('?') ? '&' : '?') + 'bodySHA256=' + getExpectedBodyHash(body);
  const sig = getExpectedTwilioSignature(token, url, {});
  const args = ['--scheme', 'twilio', '--secret', token, '--url', url, '-H', `X-Twilio-Signature: ${sig}`,
                '-H', 'Content-Type: application/json'];
  const v = hooklineVerify(args, body);
  check(`hookline verifies twilio's JSON signature #${i}`, v.status === 0 && v.stdout.trim() === 'ok', v);
  const t = hooklineVerify(args, ' ' + body);
  check(`hookline reports a JSON body hash mismatch #${i}`, t.status === 1 && t.stdout.trim() === 'body hash mismatch', t);

  // hookline signs (appending bodySHA256 itself) -> validateRequestWithBody
  const s = hooklineSign(['--scheme', 'twilio', '--secret', token, '--url', base, '-H', 'Content-Type: application/json'], body);
  check(`hookline sign exits 0 for JSON #${i}`, s.status === 0, s);
  const sentTo = (s.stderr.match(/send to (\S+)/) || [])[1];
  check(`hookline appends the same bodySHA256 as twilio #${i}`, sentTo === url, { sentTo, url });
  const hsig = header(s.stdout, 'X-Twilio-Signature');
  check(`validateRequestWithBody accepts hookline's JSON signature #${i}`, validateRequestWithBody(token, hsig, url, body), s);
  check(`validateRequestWithBody rejects a tampered body #${i}`, !validateRequestWithBody(token, hsig, url, body + ' '), s);
  // and given the full URL, hookline signs the same way without a Content-Type
  const s2 = hooklineSign(['--scheme', 'twilio', '--secret', token, '--url', url], body);
  check(`hookline signs a bodySHA256 URL like twilio #${i}`, header(s2.stdout, 'X-Twilio-Signature') === sig, s2);
}
done();
