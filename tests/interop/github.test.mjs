// Interop with GitHub's signing as implemented by @octokit/webhooks-methods (ESM): its signatures
// verify in hookline, and hookline's verify in it. Run by ctest as: node github.test.mjs HOOKLINE_BIN
import { sign, verify } from '@octokit/webhooks-methods';
import { hooklineSign, hooklineVerify, check, done } from './support.mjs';

const secret = "It's a Secret to Everybody";
const bodies = ['Hello, World!', '{"action":"opened","note":"caf\u00e9 \u2603"}', JSON.stringify({ big: 'x'.repeat(70000) })];

const parseHeaders = out => Object.fromEntries(out.trim().split('\n').map(l => {
  const c = l.indexOf(':');
  return [l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()];
}));

for (const [i, body] of bodies.entries()) {
  // octokit signs -> hookline verifies
  const sig = await sign(secret, body);
  const v = hooklineVerify(['--scheme', 'github', '--secret', secret, '-H', `X-Hub-Signature-256: ${sig}`], body);
  check(`hookline verifies octokit's signature #${i}`, v.status === 0 && v.stdout.trim() === 'ok', v);
  const tampered = hooklineVerify(['--scheme', 'github', '--secret', secret, '-H', `X-Hub-Signature-256: ${sig}`], body + ' ');
  check(`hookline rejects a tampered body #${i}`, tampered.status === 1 && tampered.stdout.trim() === 'no matching signature', tampered);
  const wrong = hooklineVerify(['--scheme', 'github', '--secret', 'not the secret', '-H', `X-Hub-Signature-256: ${sig}`], body);
  check(`hookline rejects the wrong secret #${i}`, wrong.status === 1, wrong);

  // hookline signs -> octokit verifies
  const s = hooklineSign(['--scheme', 'github', '--secret', secret, '--id', `delivery-${i}`, '--type', 'push'], body);
  check(`hookline sign exits 0 #${i}`, s.status === 0, s);
  const headers = parseHeaders(s.stdout);
  check(`hookline's signature equals octokit's #${i}`, headers['x-hub-signature-256'] === sig, headers);
  check(`hookline sends event and delivery headers #${i}`,
    headers['x-github-event'] === 'push' && headers['x-github-delivery'] === `delivery-${i}`, headers);
  check(`octokit verifies hookline's signature #${i}`, await verify(secret, body, headers['x-hub-signature-256']), headers);
  check(`octokit rejects hookline's signature for another body #${i}`,
    !(await verify(secret, body + 'x', headers['x-hub-signature-256'])), headers);
}

// The documented vector, and rotation: a verifier trusting two secrets accepts either one's signature.
check('octokit reproduces the documented vector',
  (await sign(secret, 'Hello, World!')) === 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
const rolled = await sign('the new secret', 'Hello, World!');
const r = hooklineVerify(['--scheme', 'github', '--secret', secret, '--secret', 'the new secret', '-H',
  `X-Hub-Signature-256: ${rolled}`], 'Hello, World!');
check('hookline accepts the second secret during a rotation', r.status === 0, r);
done();
