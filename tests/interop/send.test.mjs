// `hookline send` end to end: a Node receiver on 127.0.0.1 answers scripted statuses and checks every
// request's signature with the Standard Webhooks reference library. Run by ctest as:
//   node send.test.mjs HOOKLINE_BIN
import http from 'node:http';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { hookline, check, done } from './support.mjs';

const require = createRequire(import.meta.url);
const { Webhook } = require('standardwebhooks');
const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

function receiver(statuses) {
  const seen = [];
  let i = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      let verified = false;
      try { new Webhook(secret).verify(body, req.headers, { jsonParse: false }); verified = true; } catch { /* recorded */ }
      seen.push({ body, verified, id: req.headers['webhook-id'], type: req.headers['content-type'] });
      const status = statuses[Math.min(i++, statuses.length - 1)];
      res.writeHead(status, status === 429 ? { 'Retry-After': '1' } : {});
      res.end('reply ' + status);
    });
  });
  return new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve({ server, seen, port: server.address().port })));
}

function run(args, input = '') {
  return new Promise(resolve => {
    const p = spawn(hookline, ['send', ...args]);
    p.stdin.end(input);
    let stdout = '', stderr = '';
    p.stdout.on('data', d => { stdout += d; });
    p.stderr.on('data', d => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('close', status => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

const base = ['--secret', secret, '--type', 'invoice.paid', '--allow-private'];

{
  const r = await receiver([200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', '{"n":1}', '--id', 'msg_cli_1']);
  check('delivered exits 0', out.status === 0 && /attempt 1: 200/.test(out.stdout) && /delivered/.test(out.stdout), out);
  check('the receiver verified the signature', r.seen.length === 1 && r.seen[0].verified && r.seen[0].id === 'msg_cli_1', r.seen);
  check('the body is sent as JSON, byte for byte', r.seen[0]?.body === '{"n":1}' && r.seen[0]?.type === 'application/json', r.seen);
  r.server.close();
}
{
  const r = await receiver([500, 503, 200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', '{}', '--retry-schedule', '0,0']);
  check('retries until delivered', out.status === 0 && /attempt 3: 200/.test(out.stdout), out);
  check('every attempt carries the same id and a valid signature',
    r.seen.length === 3 && r.seen.every(s => s.verified && s.id === r.seen[0].id), r.seen);
  check('each attempt prints when the next is due', /attempt 1: 500 in [0-9.]+ ms; next attempt in/.test(out.stdout), out);
  r.server.close();
}
{
  const r = await receiver([500]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', '{}', '--retry-schedule', '0']);
  check('gives up after the schedule with exit 1', out.status === 1 && /retries exhausted \(last: 500\)/.test(out.stderr), out);
  check('attempts made: first plus one retry', r.seen.length === 2, r.seen);
  r.server.close();
}
{
  const r = await receiver([410]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', '{}']);
  check('410 gives up at once', out.status === 1 && /410 Gone/.test(out.stderr) && r.seen.length === 1, out);
  r.server.close();
}
{
  const r = await receiver([200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, '--secret', secret, '--type', 'a.b', '--data', '{}']);
  check('loopback is refused without --allow-private', out.status === 1 && /address refused/.test(out.stderr) && r.seen.length === 0, out);
  r.server.close();
}
{
  const r = await receiver([200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--file', '-'], '{"from":"stdin"}');
  check('--file - reads standard input', out.status === 0 && r.seen[0]?.body === '{"from":"stdin"}', { out, seen: r.seen });
  r.server.close();
}
for (const [name, args, pattern] of [
  ['no URL', ['--secret', secret, '--type', 'a', '--data', '{}'], /exactly one URL/],
  ['no type', ['http://127.0.0.1:1/', '--secret', secret, '--data', '{}'], /--type is required/],
  ['both data and file', ['http://127.0.0.1:1/', '--secret', secret, '--type', 'a', '--data', '{}', '--file', 'x'], /exactly one of/],
  ['bad schedule', ['http://127.0.0.1:1/', '--secret', secret, '--type', 'a', '--data', '{}', '--retry-schedule', '1,x'], /--retry-schedule/],
  ['bad secret', ['http://127.0.0.1:1/', '--secret', 'whsec_!', '--type', 'a', '--data', '{}'], /not a valid/],
]) {
  const out = await run(args);
  check(`usage error: ${name}`, out.status === 2 && pattern.test(out.stderr), out);
}
{
  const out = await run(['--help']);
  check('send --help documents every flag', out.status === 0 &&
    ['--secret', '--type', '--data', '--file', '--id', '--scheme', '--retry-schedule', '--timeout', '--allow-private']
      .every(f => out.stdout.includes(f)), out);
}
done();
