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
      seen.push({ body, verified, id: req.headers['webhook-id'], type: req.headers['content-type'], headers: req.headers });
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
    p.stdin.on('error', () => { /* the tool may exit before reading standard input */ });
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
  const wrapped = (() => { try { return JSON.parse(r.seen[0]?.body); } catch { return null; } })();
  check('--data is wrapped as the library sends it: {type, timestamp, data}',
    wrapped?.type === 'invoice.paid' && wrapped?.data?.n === 1 && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(wrapped?.timestamp) &&
    Object.keys(wrapped).join() === 'data,timestamp,type' && r.seen[0]?.type === 'application/json', r.seen);
  r.server.close();
}
{
  const r = await receiver([200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', '{"n":1}', '--raw']);
  check('--raw sends the body byte for byte', out.status === 0 && r.seen[0]?.verified && r.seen[0]?.body === '{"n":1}', { out, seen: r.seen });
  r.server.close();
}
{
  const r = await receiver([200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', 'not json']);
  check('data that is not JSON is a usage error without --raw', out.status === 2 && /--raw/.test(out.stderr) && r.seen.length === 0, out);
  const raw = await run([`http://127.0.0.1:${r.port}/hook`, ...base, '--data', 'not json', '--raw']);
  check('...and sent as it is with --raw', raw.status === 0 && r.seen[0]?.body === 'not json', { raw, seen: r.seen });
  r.server.close();
}
{
  const r = await receiver([200]);
  const out = await run([`http://127.0.0.1:${r.port}/hook`, '--scheme', 'github', '--secret', 'gh-secret', '--type', 'push',
    '--allow-private', '--data', '{"ref":"main"}']);
  check('github: the body as it is, the type in X-GitHub-Event', out.status === 0 && r.seen[0]?.body === '{"ref":"main"}' &&
    r.seen[0]?.headers['x-github-event'] === 'push', { out, seen: r.seen });
  r.server.close();
}
// `hookline listen` (a Standard Webhooks receiver) sees the type `hookline send` was given.
{
  const { createInterface } = await import('node:readline');
  const child = spawn(hookline, ['listen', '--scheme', 'standard', '--secret', secret, '--port', '0', '--json'],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30000);
  const lines = [];
  let waiting = null;
  createInterface({ input: child.stdout }).on('line', line => { lines.push(line); if (waiting) { const w = waiting; waiting = null; w(); } });
  const nextLine = async () => {
    while (lines.length === 0) await new Promise(resolve => { waiting = resolve; });
    return JSON.parse(lines.shift());
  };
  const first = await nextLine();
  const out = await run([first.listening, ...base, '--data', '{"amount":4200}', '--id', 'msg_cli_listen']);
  const line = await nextLine();
  check('hookline listen receives the event with its type and data', out.status === 0 && line.verified === true &&
    line.type === 'invoice.paid' && line.id === 'msg_cli_listen' && line.payload?.data?.amount === 4200, { out, line });
  const exited = new Promise(resolve => child.on('exit', code => resolve(code)));
  child.kill('SIGTERM');
  await exited;
  clearTimeout(killer);
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
  check('--file - reads standard input', out.status === 0 && JSON.parse(r.seen[0]?.body ?? 'null')?.data?.from === 'stdin', { out, seen: r.seen });
  r.server.close();
}
// --store: the event is kept in an SQLite store; a killed run's in-flight delivery is resumed by the next
// run with the same store and URL, and a repeated --id is not sent twice.
{
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'hookline-send-store-'));
  const db = join(dir, 'outbox.db');
  let hang = false;
  let onHang = () => {};
  const seen = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => { body += c; });
    req.on('end', () => {
      let verified = false;
      try { new Webhook(secret).verify(body, req.headers, { jsonParse: false }); verified = true; } catch { /* recorded */ }
      seen.push({ id: req.headers['webhook-id'], verified });
      if (hang) { onHang(); return; } // never answered: the sender is killed meanwhile
      res.writeHead(200); res.end('ok');
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/hook`;

  const first = await run([url, ...base, '--data', '{"n":1}', '--id', 'msg_store_1', '--store', db]);
  check('--store delivers and exits 0', first.status === 0 && /attempt 1: 200/.test(first.stdout) && /delivered/.test(first.stdout), first);
  const again = await run([url, ...base, '--data', '{"n":1}', '--id', 'msg_store_1', '--store', db]);
  check('a repeated --id is reported as a duplicate and not sent', again.status === 0 &&
    /duplicate: msg_store_1 was already accepted by this store \(delivered\)/.test(again.stdout) &&
    seen.filter(s => s.id === 'msg_store_1').length === 1, { again, seen });

  // Killed with the delivery in flight.
  hang = true;
  const killed = await new Promise(resolve => {
    const p = spawn(hookline, ['send', url, ...base, '--data', '{"n":2}', '--id', 'msg_store_2', '--store', db]);
    p.stdin.on('error', () => {});
    p.stdin.end();
    onHang = () => p.kill('SIGKILL');
    const timer = setTimeout(() => p.kill('SIGKILL'), 30000);
    p.on('close', (status, signal) => { clearTimeout(timer); resolve({ status, signal }); });
  });
  check('the in-flight run was killed', killed.signal === 'SIGKILL', killed);
  hang = false;
  const resumed = await run([url, ...base, '--data', '{"n":3}', '--id', 'msg_store_3', '--store', db]);
  check('the next run resumes what the killed one left, then its own', resumed.status === 0 &&
    /resuming 1 pending delivery/.test(resumed.stdout) &&
    seen.filter(s => s.id === 'msg_store_2').length === 2 && seen.filter(s => s.id === 'msg_store_3').length === 1 &&
    seen.every(s => s.verified), { resumed, seen });
  const dup2 = await run([url, ...base, '--data', '{"n":2}', '--id', 'msg_store_2', '--store', db]);
  check('a resumed id is a duplicate afterwards', dup2.status === 0 && /duplicate: msg_store_2/.test(dup2.stdout) &&
    seen.filter(s => s.id === 'msg_store_2').length === 2, { dup2, seen });
  const bad = await run([url, ...base, '--data', '{}', '--store', join(dir, 'missing', 'x.db')]);
  check('an unusable store exits 1', bad.status === 1 && /cannot open the store/.test(bad.stderr), bad);
  server.closeAllConnections?.();
  server.close();
  rmSync(dir, { recursive: true, force: true });
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
    ['--secret', '--type', '--data', '--file', '--raw', '--id', '--scheme', '--retry-schedule', '--timeout', '--allow-private', '--store']
      .every(f => out.stdout.includes(f)), out);
}
done();
