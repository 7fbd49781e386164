// Global setup and teardown around `node --test`: publish and start the server once, run every test file against
// it, then stop it. Exits with the test runner's exit code; the runner's own output passes through unchanged.
// Arguments are passed to `node --test` (reporters and their destinations); the default is the tap reporter.
//   node lib/run-suite.js [--test-reporter=spec --test-reporter-destination=stdout ...]
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from './server-process.js';

const SUITE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_TIMEOUT_MS = 120_000;

const runnerArgs = process.argv.length > 2 ? process.argv.slice(2) : ['--test-reporter=tap'];
const files = readdirSync(path.join(SUITE_DIR, 'test'))
  .filter((name) => name.endsWith('.test.js'))
  .sort()
  .map((name) => path.join('test', name));

let server;
try {
  server = await startServer();
} catch (error) {
  console.error(`Global setup failed: ${error.stack ?? error}`);
  process.exit(2);
}
console.error(`# server ${server.baseUrl} (${server.dll})`);

const runner = spawn(
  process.execPath,
  ['--test', ...runnerArgs, `--test-timeout=${TEST_TIMEOUT_MS}`, '--test-concurrency=1', ...files],
  {
    cwd: SUITE_DIR,
    stdio: 'inherit',
    env: { ...process.env, CLIENT_COMPAT_SERVER_URL: server.baseUrl, ABLY_AUTH_SERVER_DLL: server.dll },
  },
);

const stopRunner = (signal) => runner.kill(signal);
process.on('SIGINT', stopRunner);
process.on('SIGTERM', stopRunner);

const exitCode = await new Promise((resolve) => runner.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
if (exitCode !== 0) {
  console.error('# server log (tail):');
  console.error(server.logs().slice(-8_000));
}
await server.stop();
process.exit(exitCode);
