// Runs the real, published AblyAuthServer as a child process: publish, seed users with its CLI, start, stop.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EMBEDDED_AUDIENCE, TEST_KEY, USERS, rolesEnvironment } from './config.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const PUBLISH_TIMEOUT_MS = 5 * 60_000;
const CLI_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Runs a command to completion, with a hard timeout, collecting its output.
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>}
 */
export function run(command, args, { env = process.env, cwd, input, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/**
 * The server's entry assembly: `ABLY_AUTH_SERVER_DLL` when set (a prebuilt publish), otherwise a fresh
 * `dotnet publish` into `outputDir`.
 */
export async function publishServer(outputDir) {
  const prebuilt = process.env.ABLY_AUTH_SERVER_DLL;
  if (prebuilt) {
    if (!existsSync(prebuilt)) {
      throw new Error(`ABLY_AUTH_SERVER_DLL=${prebuilt} does not exist`);
    }
    return prebuilt;
  }

  const result = await run(
    'dotnet',
    ['publish', path.join(REPO_ROOT, 'src/AblyAuthServer'), '-c', 'Release', '-o', outputDir, '--nologo'],
    { cwd: REPO_ROOT, timeoutMs: PUBLISH_TIMEOUT_MS },
  );
  if (result.code !== 0) {
    throw new Error(`dotnet publish failed (exit ${result.code ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
  return path.join(outputDir, 'AblyAuthServer.dll');
}

/** A free loopback port. Another process could take it before the server binds; on this machine that is unlikely. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The environment the server and its CLI share: configuration only through env, as the contract says.
 * An `extra` value of null removes that variable (to see the app's own default).
 */
function serverEnvironment({ databasePath, port, extra }) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DOTNET_ROOT: process.env.DOTNET_ROOT ?? '',
    DOTNET_CLI_TELEMETRY_OPTOUT: '1',
    DOTNET_NOLOGO: '1',
    ASPNETCORE_ENVIRONMENT: 'Production',
    ASPNETCORE_URLS: `http://127.0.0.1:${port}`,
    ABLY_API_KEY: TEST_KEY.full,
    Accounts__ConnectionString: `Data Source=${databasePath}`,
    // Plain http here; the default (Always) would mark the cookie Secure and browsers would not send it.
    Sessions__CookieSecurePolicy: 'SameAsRequest',
    Demo__Enabled: 'true',
    // Every test logs in from 127.0.0.1; the limits have their own tests in the .NET suite.
    RateLimiting__Login__PerIp__PermitLimit: '100000',
    RateLimiting__Login__PerUsername__PermitLimit: '100000',
    RateLimiting__Tokens__PerUser__PermitLimit: '100000',
    // The embedded-token form, issued under the server's own origin (loopback, so plain http is accepted).
    EmbeddedTokens__Issuer: `http://127.0.0.1:${port}`,
    EmbeddedTokens__Audience: EMBEDDED_AUDIENCE,
    ...rolesEnvironment(),
    ...extra,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== null));
}

/** `dotnet <dll> users add <name> --role <role> [--client-id <id>]` with the password on stdin. */
async function addUser(dll, env, user) {
  const args = [dll, 'users', 'add', user.username, '--role', user.role];
  if (user.clientId && user.clientId !== user.username) {
    args.push('--client-id', user.clientId);
  }
  // Run from the publish dir so the CLI reads the same appsettings.json (role names) as the server.
  const result = await run('dotnet', args, {
    env,
    cwd: path.dirname(dll),
    input: `${user.password}\n`,
    timeoutMs: CLI_TIMEOUT_MS,
  });
  if (result.code !== 0) {
    throw new Error(`users add ${user.username} failed (exit ${result.code ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
}

async function waitUntilReady(baseUrl, child, output) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The server exited during startup (${child.exitCode ?? child.signalCode}):\n${output()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await delay(200);
  }
  throw new Error(`The server was not ready within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

/**
 * Publishes (or reuses) the server, creates a temp dir with a SQLite database, adds the test users with the CLI,
 * starts the server on a free loopback port and waits for /readyz. `extraEnv` adds or (with null) removes variables.
 * @returns {Promise<{ baseUrl: string, dll: string, logs: () => string, stop: () => Promise<void> }>}
 */
export async function startServer({ extraEnv = {}, seedUsers = true } = {}) {
  const workDir = await mkdtemp(path.join(tmpdir(), 'ably-auth-client-compat-'));
  let child;
  try {
    const dll = await publishServer(path.join(workDir, 'publish'));
    const port = await freePort();
    const env = serverEnvironment({ databasePath: path.join(workDir, 'accounts.db'), port, extra: extraEnv });

    for (const user of seedUsers ? Object.values(USERS) : []) {
      await addUser(dll, env, user);
    }

    // The publish dir is the content root, so the app finds its appsettings.json wherever the suite runs from.
    child = spawn('dotnet', [dll], { env, cwd: path.dirname(dll), stdio: ['ignore', 'pipe', 'pipe'] });
    // If this process dies without running its teardown, do not leave the server behind.
    const server = child;
    const killOnExit = () => server.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    let log = '';
    const append = (chunk) => {
      // Keep the tail only: enough to explain a failure, bounded for long runs.
      log = (log + chunk).slice(-64_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const logs = () => log;

    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntilReady(baseUrl, child, logs);

    const running = child;
    return {
      baseUrl,
      dll,
      logs,
      stop: async () => {
        await stopProcess(running);
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) {
      await stopProcess(child);
    }
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
}

/** SIGTERM (the host shuts down gracefully), then SIGKILL if it has not exited in time. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}
