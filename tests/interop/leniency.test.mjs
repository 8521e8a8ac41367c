// Odd inputs fed to each provider's own SDK and to `hookline verify`, verdicts compared: hookline accepts
// what the SDK accepts and nothing more. Where hookline is deliberately stricter, the case names the reason
// (docs/schemes.md, "Differences from the official SDK"), and the test insists on exactly that direction.
// Shopify has no SDK pinned here (see shopify.test.mjs). Run by ctest as: node leniency.test.mjs HOOKLINE_BIN
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { hooklineVerify, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');
const Stripe = require('stripe');
const { verifySlackRequest } = require('@slack/bolt');
const { getExpectedTwilioSignature, validateRequest, validateRequestWithBody, getExpectedBodyHash } = require('twilio');
const { WebhooksHelper } = require('square');
const { verify: githubVerify } = await import('@octokit/webhooks-methods');

// Compares one case: `sdk` is the SDK's verdict (true = accepted), `args`/`body` the hookline call.
// `stricter` names why hookline refuses what the SDK accepts; without it the verdicts must agree.
function compare(scheme, name, sdk, args, body, stricter) {
  const r = hooklineVerify(['--scheme', scheme, ...args], body);
  const ours = r.status === 0 && r.stdout.trim() === 'ok';
  if (process.env.HOOKLINE_LENIENCY_VERBOSE) console.log(`${scheme}: ${name}: SDK ${sdk ? 'accepts' : 'refuses'}, hookline: ${r.stdout.trim()}`);
  if (r.status !== 0 && r.status !== 1) { check(`${scheme}: ${name}: hookline ran`, false, r); return; }
  if (stricter) {
    check(`${scheme}: ${name}: the SDK accepts, hookline refuses (${stricter})`, sdk && !ours, { sdk, hookline: r.stdout.trim() });
  } else {
    check(`${scheme}: ${name}: same verdict (SDK ${sdk ? 'accepts' : 'refuses'})`, sdk === ours,
      { sdk, hookline: r.stdout.trim() || r.stderr.trim() });
  }
}
const sdkVerdict = f => { try { return f() !== false; } catch { return false; } };
const sdkVerdictAsync = async f => { try { return (await f()) !== false; } catch { return false; } };
const hmacHex = (key, text) => createHmac('sha256', key).update(text).digest('hex');

// --- Standard Webhooks (standardwebhooks 1.1.1; it reads the clock itself, so "now" is the real time) ---
{
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const wh = new Webhook(secret);
  const now = Math.floor(Date.now() / 1000);
  const id = 'msg_lenient', body = '{"type":"a.b"}';
  const sig = wh.sign(id, new Date(now * 1000), body);            // v1,<base64>
  const b64 = sig.slice(3);
  const other = new Webhook('whsec_' + Buffer.alloc(24, 9).toString('base64')).sign(id, new Date(now * 1000), body);
  const cases = [
    ['valid', { ts: String(now), sig }],
    ['a wrong v1 before the valid one', { ts: String(now), sig: `${other} ${sig}` }],
    ['unknown versions around it', { ts: String(now), sig: `v2,abc v1a,xyz ${sig} v0,zzz` }],
    ['text after a second comma', { ts: String(now), sig: `${sig},extra` }],
    ['several spaces between entries', { ts: String(now), sig: `${other}   ${sig}` }],
    ['a tab between entries', { ts: String(now), sig: `${other}\t${sig}` }],
    ['unpadded base64', { ts: String(now), sig: sig.replace(/=+$/, '') }],
    ['URL-safe base64', { ts: String(now), sig: 'v1,' + b64.replace(/\+/g, '-').replace(/\//g, '_') }, /[+/]/.test(b64)],
    ['upper-case version', { ts: String(now), sig: 'V1,' + b64 }],
    ['no comma', { ts: String(now), sig: 'v1' + b64 }],
    ['empty signature header', { ts: String(now), sig: '' }],
    ['timestamp with leading zeros', { ts: '000' + now, sig }],
    ['timestamp with a plus sign', { ts: '+' + now, sig }],
    ['timestamp followed by text', { ts: now + 'abc', sig }],
    ['timestamp with a fraction', { ts: now + '.75', sig }],
    ['timestamp that is not a number', { ts: 'abc', sig }],
    ['negative timestamp', { ts: '-' + now, sig }],
    ['timestamp 6 minutes old', { ts: String(now - 360), sig: wh.sign(id, new Date((now - 360) * 1000), body) }],
    ['timestamp 6 minutes ahead', { ts: String(now + 360), sig: wh.sign(id, new Date((now + 360) * 1000), body) }],
    ['empty id', { ts: String(now), sig, id: '' }],
    ['17 signatures, the valid one last', { ts: String(now), sig: Array(16).fill(other).concat([sig]).join(' ') },
      true, 'only the first max_signatures (16) entries are examined'],
  ];
  for (const [name, c, applies = true, stricter] of cases) {
    if (!applies) continue;
    const msgId = c.id ?? id;
    const headers = { 'webhook-id': msgId, 'webhook-timestamp': c.ts, 'webhook-signature': c.sig };
    const sdk = sdkVerdict(() => { wh.verify(body, headers, { jsonParse: false }); });
    compare('standard', name, sdk, ['--secret', secret, '--now', String(now),
      '-H', `webhook-id: ${msgId}`, '-H', `webhook-timestamp: ${c.ts}`, '-H', `webhook-signature: ${c.sig}`], body, stricter);
  }
}

// --- Stripe (stripe 23.1.0, constructEvent with receivedAt) ---
{
  const secret = 'whsec_test_secret';
  const body = '{"id":"evt_test_webhook","object":"event"}';
  const ts = 1700000000;
  const v1 = hmacHex(secret, `${ts}.${body}`);
  const nanSig = hmacHex(secret, `NaN.${body}`);
  const future = ts + 3600, v1Future = hmacHex(secret, `${future}.${body}`);
  const cases = [
    ['valid', `t=${ts},v1=${v1}`],
    ['the issue\'s header: a short v1 first, a v0 last', `t=${ts},v1=deadbeef,v1=${v1},v0=zz`],
    ['trailing comma', `t=${ts},v1=${v1},`],
    ['leading comma', `,t=${ts},v1=${v1}`],
    ['repeated commas', `t=${ts},,v1=${v1}`],
    ['two timestamps, the right one last', `t=1,t=${ts},v1=${v1}`],
    ['two timestamps, the right one first', `t=${ts},t=1,v1=${v1}`],
    ['a t without value before the right one', `t,t=${ts},v1=${v1}`],
    ['a space after a comma', `t=${ts}, v1=${v1}`],
    ['a space before =', `t=${ts},v1 =${v1}`],
    ['a space inside t', `t= ${ts},v1=${v1}`],
    ['a plus sign in t', `t=+${ts},v1=${v1}`],
    ['leading zeros in t', `t=0${ts},v1=${v1}`],
    ['text after t', `t=${ts}abc,v1=${v1}`],
    ['negative t', `t=-${ts},v1=${v1}`],
    ['t in hex', `t=0x10,v1=${v1}`],
    ['upper-case names', `T=${ts},V1=${v1}`],
    ['upper-case hex', `t=${ts},v1=${v1.toUpperCase()}`],
    ['text after the v1 value at a second =', `t=${ts},v1=${v1}=x`],
    ['v1 value starting with =', `t=${ts},v1==${v1}`],
    ['an empty v1 next to a valid one', `t=${ts},v1=${v1},v1=`],
    ['a v1 without = next to a valid one', `t=${ts},v1,v1=${v1}`],
    ['a bad v1 after the valid one', `t=${ts},v1=${v1},v1=xyz`],
    ['only v0', `t=${ts},v0=${v1}`],
    ['no t', `v1=${v1}`],
    ['semicolons', `t=${ts};v1=${v1}`],
    ['t that is not a number, signed as "NaN"', `t=abc,v1=${nanSig}`, 'a timestamp must be a number'],
    ['t an hour ahead', `t=${future},v1=${v1Future}`, 'timestamps too far ahead are refused too (reject_future)'],
  ];
  for (const [name, header, stricter] of cases) {
    const sdk = sdkVerdict(() => Stripe.webhooks.constructEvent(body, header, secret, 300, undefined, ts * 1000));
    compare('stripe', name, sdk, ['--secret', secret, '--now', String(ts), '-H', `Stripe-Signature: ${header}`], body, stricter);
  }
  const header = `t=${ts},v1=${hmacHex(secret, `${ts}.`)}`;
  compare('stripe', 'an empty body', sdkVerdict(() => Stripe.webhooks.constructEvent('', header, secret, 300, undefined, ts * 1000)),
    ['--secret', secret, '--now', String(ts), '-H', `Stripe-Signature: ${header}`], '');
}

// --- GitHub (@octokit/webhooks-methods 6.0.0 verify) ---
{
  const secret = "It's a Secret to Everybody";
  const body = 'Hello, World!';
  const hex = hmacHex(secret, body);
  const cases = [
    ['valid', `sha256=${hex}`],
    ['upper-case hex', `sha256=${hex.toUpperCase()}`],
    ['upper-case prefix', `SHA256=${hex}`],
    ['text after the hex', `sha256=${hex}00`],
    ['a second = and text', `sha256=${hex}=x`],
    ['no prefix', hex],
    ['sha1 prefix', `sha1=${hex}`],
    ['truncated', `sha256=${hex.slice(0, 62)}`],
  ];
  for (const [name, sig] of cases) {
    const sdk = await sdkVerdictAsync(() => githubVerify(secret, body, sig));
    compare('github', name, sdk, ['--secret', secret, '-H', `X-Hub-Signature-256: ${sig}`], body);
  }
  const emptySig = `sha256=${hmacHex(secret, '')}`;
  compare('github', 'an empty body', await sdkVerdictAsync(() => githubVerify(secret, '', emptySig)),
    ['--secret', secret, '-H', `X-Hub-Signature-256: ${emptySig}`], '');
}

// --- Slack (@slack/bolt 5.1.0 verifySlackRequest) ---
{
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const body = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather&text=94070';
  const now = 1531420618;
  const sign = ts => `v0=${hmacHex(secret, `v0:${ts}:${body}`)}`;
  const cases = [
    ['valid', String(now), sign(now)],
    ['upper-case hex', String(now), sign(now).toUpperCase().replace('V0=', 'v0=')],
    ['upper-case version', String(now), sign(now).replace('v0=', 'V0=')],
    ['version v1', String(now), sign(now).replace('v0=', 'v1=')],
    ['text after the hash at a second =', String(now), sign(now) + '=junk'],
    ['text after the hash', String(now), sign(now) + 'junk'],
    ['timestamp with leading zeros, signed as sent', '0' + now, sign('0' + now)],
    ['timestamp 6 minutes old', String(now - 360), sign(now - 360)],
    ['timestamp an hour ahead', String(now + 3600), sign(now + 3600), 'timestamps too far ahead are refused too (reject_future)'],
    ['timestamp that is not a number', 'abc', sign('abc'), 'a timestamp must be decimal digits (Bolt skips its staleness check)'],
    ['timestamp with a fraction', `${now}.0`, sign(`${now}.0`), 'a timestamp must be decimal digits'],
  ];
  for (const [name, ts, sig, stricter] of cases) {
    const sdk = sdkVerdict(() => verifySlackRequest({ signingSecret: secret, body, nowMilliseconds: now * 1000,
      headers: { 'x-slack-signature': sig, 'x-slack-request-timestamp': ts } }));
    compare('slack', name, sdk, ['--secret', secret, '--now', String(now),
      '-H', `X-Slack-Request-Timestamp: ${ts}`, '-H', `X-Slack-Signature: ${sig}`], body, stricter);
  }
}

// --- Twilio (twilio 6.2.0 validateRequest / validateRequestWithBody): the URL signed and the URL received ---
{
  const token = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
  const params = { CallSid: 'CA123', From: '+14158675309', Digits: ['1', '2'] };
  const body = new URLSearchParams([['CallSid', 'CA123'], ['From', '+14158675309'], ['Digits', '1'], ['Digits', '2']]).toString();
  const pairs = [
    ['the same URL', 'https://example.com/sms?x=1', 'https://example.com/sms?x=1'],
    ['received with the default port', 'https://example.com/sms', 'https://example.com:443/sms'],
    ['signed with the default port', 'https://example.com:443/sms', 'https://example.com/sms'],
    ['http, received with :80', 'http://example.com/sms', 'http://example.com:80/sms'],
    ['received with another port', 'https://example.com/sms', 'https://example.com:8443/sms'],
    ['signed with another port', 'https://example.com:8443/sms', 'https://example.com/sms'],
    ['received with port 0443', 'https://example.com/sms', 'https://example.com:0443/sms'],
    ['received without a path', 'https://example.com/', 'https://example.com'],
    ['signed without a path', 'https://example.com', 'https://example.com/'],
    ['received with upper-case scheme and host', 'https://example.com/sms', 'HTTPS://Example.COM/sms'],
    ['signed with an upper-case host', 'https://EXAMPLE.com/sms', 'https://example.com/sms'],
    ['received with dot segments', 'https://example.com/a/c', 'https://example.com/a/./b/../c'],
    ['received with an unescaped quote', 'https://example.com/p?q=%27x%27', "https://example.com/p?q='x'"],
    ['received with a space in the path', 'https://example.com/a%20b', 'https://example.com/a b'],
    ['received with UTF-8 in the path', 'https://example.com/caf%C3%A9', 'https://example.com/café'],
    ['query in another order', 'https://example.com/p?b=2&a=1', 'https://example.com/p?a=1&b=2'],
    ['repeated names grouped (legacy querystring)', 'https://example.com/p?a=1&a=3&b=2', 'https://example.com/p?a=1&b=2&a=3'],
    ['numeric names first (legacy querystring)', 'https://example.com/p?2=x&b=1', 'https://example.com/p?b=1&2=x'],
    ['+ re-encoded as %20 (legacy querystring)', 'https://example.com/p?x=a%20b', 'https://example.com/p?x=a+b'],
    ['a quote re-encoded (legacy querystring)', "https://example.com/p?x='", 'https://example.com/p?x=%27'],
    ['http signed, https received', 'http://example.com/sms', 'https://example.com/sms'],
    ['a trailing slash added', 'https://example.com/sms', 'https://example.com/sms/'],
    ['IPv6 received with a port', 'https://[::1]/p', 'https://[::1]:8443/p'],
    ['user info received with the default port', 'https://u:pw@example.com/p', 'https://u:pw@example.com:443/p'],
  ];
  for (const [name, signed, received] of pairs) {
    const sig = getExpectedTwilioSignature(token, signed, params);
    const sdk = sdkVerdict(() => validateRequest(token, sig, received, params));
    compare('twilio', `form, ${name}`, sdk, ['--secret', token, '--url', received, '-H', `X-Twilio-Signature: ${sig}`,
      '-H', 'Content-Type: application/x-www-form-urlencoded'], body);
  }
  const json = '{"a":1}';
  const hash = getExpectedBodyHash(json);
  const jsonCases = [
    ['JSON, valid', `https://example.com/e?bodySHA256=${hash}`],
    ['JSON, upper-case body hash', `https://example.com/e?bodySHA256=${hash.toUpperCase()}`],
    ['JSON, body hash first of two', `https://example.com/e?bodySHA256=${hash}&bodySHA256=00`],
    ['JSON, received with the default port', `https://example.com/e?bodySHA256=${hash}`, `https://example.com:443/e?bodySHA256=${hash}`],
  ];
  for (const [name, signed, received = signed] of jsonCases) {
    const sig = getExpectedTwilioSignature(token, signed, {});
    const sdk = sdkVerdict(() => validateRequestWithBody(token, sig, received, json));
    compare('twilio', name, sdk, ['--secret', token, '--url', received, '-H', `X-Twilio-Signature: ${sig}`,
      '-H', 'Content-Type: application/json'], json);
  }
}

// --- Square (square 46.0.0 WebhooksHelper.verifySignature) ---
{
  const key = 'Ibxx_5AKakO-3qeNVR61Dw';
  const url = 'https://example.com/square';
  const body = '{"type":"payment.updated","event_id":"e1"}';
  const sig = createHmac('sha256', key).update(url + body).digest('base64');
  const cases = [
    ['valid', sig, url, body],
    ['unpadded', sig.replace(/=+$/, ''), url, body],
    ['URL-safe', sig.replace(/\+/g, '-').replace(/\//g, '_'), url, body, /[+/]/.test(sig)],
    ['text after the signature', sig + 'x', url, body],
    ['URL with a trailing slash', sig, url + '/', body],
    ['URL with the default port', sig, 'https://example.com:443/square', body],
    ['an empty body', createHmac('sha256', key).update(url).digest('base64'), url, ''],
  ];
  for (const [name, s, u, b, applies = true] of cases) {
    if (!applies) continue;
    const sdk = await sdkVerdictAsync(() => WebhooksHelper.verifySignature({ requestBody: b, signatureHeader: s, signatureKey: key, notificationUrl: u }));
    compare('square', name, sdk, ['--secret', key, '--url', u, '-H', `x-square-hmacsha256-signature: ${s}`], b);
  }
}

done();
