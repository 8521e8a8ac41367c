// Interop with Slack's request verification in @slack/bolt (isValidSlackRequest): hookline's
// signatures pass it; signatures made as Slack documents verify in hookline. Run by ctest as:
// node slack.test.mjs HOOKLINE_BIN
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { hooklineSign, hooklineVerify, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { isValidSlackRequest } = require('@slack/bolt');

const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const now = Math.floor(Date.now() / 1000);
const bodies = ['token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fwebhook-collect&text=',
  JSON.stringify({ type: 'event_callback', event_id: 'Ev123', event: { type: 'message', text: 'caf\u00e9 \u2603' } }),
  JSON.stringify({ type: 'event_callback', event_id: 'EvBig', big: 'x'.repeat(70000) })];
const slackSign = (key, ts, body) => 'v0=' + createHmac('sha256', key).update(`v0:${ts}:${body}`).digest('hex');

const parseHeaders = out => Object.fromEntries(out.trim().split('\n').map(l => {
  const c = l.indexOf(':');
  return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
}));
const bolt = (body, headers, nowMs = now * 1000) => isValidSlackRequest({
  signingSecret: secret, body, nowMilliseconds: nowMs,
  headers: { 'x-slack-signature': headers['x-slack-signature'],
             'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) } });

// The documented vector verifies in hookline.
const docsBody = 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const docs = hooklineVerify(['--scheme', 'slack', '--secret', secret, '-H', 'X-Slack-Request-Timestamp: 1531420618',
  '-H', 'X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503', '--now', '1531420618'], docsBody);
check('hookline verifies the documented vector', docs.status === 0, docs);

for (const [i, body] of bodies.entries()) {
  // Slack's documented algorithm signs -> hookline verifies
  const sig = slackSign(secret, now, body);
  const args = ['--scheme', 'slack', '--secret', secret, '-H', `X-Slack-Request-Timestamp: ${now}`,
    '-H', `X-Slack-Signature: ${sig}`];
  const v = hooklineVerify([...args, '--now', String(now)], body);
  check(`hookline verifies a Slack signature #${i}`, v.status === 0 && v.stdout.trim() === 'ok', v);
  const tampered = hooklineVerify([...args, '--now', String(now)], body + '&');
  check(`hookline rejects a tampered body #${i}`, tampered.status === 1 && tampered.stdout.trim() === 'no matching signature', tampered);
  const stale = hooklineVerify([...args, '--now', String(now + 301)], body);
  check(`hookline rejects a stale timestamp #${i}`, stale.status === 1 && stale.stdout.trim() === 'timestamp too old', stale);

  // hookline signs -> Bolt verifies
  const s = hooklineSign(['--scheme', 'slack', '--secret', secret, '--timestamp', String(now)], body);
  check(`hookline sign exits 0 #${i}`, s.status === 0, s);
  const headers = parseHeaders(s.stdout);
  check(`hookline's signature equals Slack's #${i}`, headers['x-slack-signature'] === sig, headers);
  check(`Bolt accepts hookline's signature #${i}`, bolt(body, headers), headers);
  check(`Bolt rejects hookline's signature for another body #${i}`, !bolt(body + 'x', headers), headers);
  check(`Bolt rejects hookline's signature when stale #${i}`, !bolt(body, headers, (now + 400) * 1000), headers);
}

// Rotation: a verifier trusting two secrets accepts either one's signature.
const rolled = slackSign('the-new-secret', now, bodies[1]);
const r = hooklineVerify(['--scheme', 'slack', '--secret', secret, '--secret', 'the-new-secret', '-H',
  `X-Slack-Request-Timestamp: ${now}`, '-H', `X-Slack-Signature: ${rolled}`, '--now', String(now)], bodies[1]);
check('hookline accepts the second secret during a rotation', r.status === 0, r);
done();
