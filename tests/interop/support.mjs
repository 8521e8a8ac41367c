// Helpers for the interop tests: run the hookline tool, record checks, exit non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const hookline = process.argv[2];
if (!hookline) { console.error('usage: node TEST.mjs PATH_TO_HOOKLINE'); process.exit(2); }
const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, 'node_modules'))) {
  console.error('tests/interop/node_modules is missing: run tests/run.sh, which installs the npm peers');
  process.exit(1);
}

export function run(args, input) {
  const r = spawnSync(hookline, args, { input, encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
export const hooklineSign = (args, body) => run(['sign', ...args], body);
export const hooklineVerify = (args, body) => run(['verify', ...args], body);

let failed = 0, passed = 0;
export function check(name, ok, detail) {
  if (ok) { passed++; return; }
  failed++;
  console.error(`FAIL: ${name}\n  ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
}
export function done() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
