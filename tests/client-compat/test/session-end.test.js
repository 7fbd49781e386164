// What an app sees from ably-js Realtime when the session behind its authUrl ends (401: log in again) or the server
// refuses it (403: stop). The realtimeHost is a loopback listener that counts connections, so the SDK is seen failing
// at the authUrl step, before any transport; a recording forwarder in front of the server counts and times the
// authUrl calls. docs/integration.md quotes what these tests observe.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Ably } from '../lib/ably-clients.js';
import { USERS } from '../lib/config.js';
import { startAuthUrlRecorder, startDummyRealtimeHost } from '../lib/loopback-witnesses.js';
import { freePort } from '../lib/server-process.js';
import { bearer, login, logout } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();

// ably-js 2.28 names for what it reports around the authUrl (ConnectionManager.actOnErrorFromAuthorize).
const AUTH_PROVIDER_FAILED = 'Client configured authentication provider request failed';
const AUTH_PROVIDER_403 = 'Client configured authentication provider returned 403, failing the connection';

// Short retry timers keep the test fast; the defaults are 15 s (disconnected), 30 s (suspended) and 120 s (until suspended).
const RETRY_MS = 600;

/** ably-js's retry delay for the nth consecutive disconnection: timeout × min((n + 2) / 3, 2) × jitter in [0.8, 1]. */
function retryBounds(timeoutMs, n) {
  const backoff = Math.min((n + 2) / 3, 2);
  return { min: 0.8 * timeoutMs * backoff, max: timeoutMs * backoff };
}

/** Records every connection state change with the time it happened. */
function recordStates(realtime) {
  const changes = [];
  realtime.connection.on((change) => changes.push({ at: performance.now(), ...change, reason: change.reason }));
  return changes;
}

async function until(description, predicate, timeoutMs = 8_000) {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) {
      throw new Error(`timed out waiting for ${description}`);
    }
    await delay(20);
  }
}

describe('ably-js Realtime with authUrl when the session ends or is refused', () => {
  let recorder;
  let realtimeHost;
  const clients = [];

  before(async () => {
    recorder = await startAuthUrlRecorder(baseUrl);
    realtimeHost = await startDummyRealtimeHost();
  });

  after(async () => {
    for (const client of clients) {
      client.close();
    }
    await recorder?.close();
    await realtimeHost?.close();
  });

  /** A Realtime client as an app would make one, with every Ably host on the loopback listener. */
  function realtime(options) {
    const client = new Ably.Realtime({
      realtimeHost: '127.0.0.1',
      restHost: '127.0.0.1',
      port: realtimeHost.port,
      tls: false,
      fallbackHosts: [],
      connectivityCheckUrl: `http://127.0.0.1:${realtimeHost.port}/`,
      wsConnectivityCheckUrl: `ws://127.0.0.1:${realtimeHost.port}/`,
      disconnectedRetryTimeout: RETRY_MS,
      logLevel: 0,
      ...options,
    });
    clients.push(client);
    return client;
  }

  /** The authUrl requests made since `from` (an index into recorder.requests). */
  const requestsSince = (from) => recorder.requests.slice(from);

  test('logged out (Bearer): disconnected with 80019 whose cause is the server 401/40100, retried with backoff', async () => {
    const session = await login(baseUrl, USERS.member);
    assert.equal(await logout(baseUrl, session.sessionToken), 204);
    const first = recorder.requests.length;

    const client = realtime({ authUrl: `${recorder.baseUrl}/ably/token`, authHeaders: bearer(session.sessionToken) });
    const changes = recordStates(client);
    const disconnections = () => changes.filter((c) => c.current === 'disconnected');
    await until('three disconnections', () => disconnections().length >= 3);
    const { errorReason } = client.connection;
    client.close();

    for (const [i, change] of disconnections().slice(0, 3).entries()) {
      assert.equal(change.previous, 'connecting');
      assert.equal(change.reason.code, 80019);
      assert.equal(change.reason.statusCode, 401);
      assert.equal(change.reason.message, AUTH_PROVIDER_FAILED);
      assert.equal(change.reason.cause.statusCode, 401);
      assert.equal(change.reason.cause.code, 40100, 'the code from X-Ably-ErrorCode');
      assert.match(change.reason.cause.message, /^A valid session is required: log in at \/auth\/login/);
      const { min, max } = retryBounds(RETRY_MS, i + 1);
      assert.ok(change.retryIn >= min - 1 && change.retryIn <= max + 1, `retryIn ${change.retryIn} of disconnection ${i + 1} outside [${min}, ${max}]`);
    }
    assert.equal(errorReason, disconnections()[2].reason, 'connection.errorReason is the last reason');

    // One authUrl call per attempt, each answered 401, spaced by the retryIn the SDK announced.
    const calls = requestsSince(first).slice(0, 3);
    assert.equal(calls.length, 3);
    for (const call of calls) {
      assert.equal(call.status, 401);
      assert.equal(call.authorization, `Bearer ${session.sessionToken}`);
      assert.equal(`${call.method} ${call.path}`, 'GET /ably/token', 'no token params were asked for, so none are sent');
    }
    for (let i = 1; i < calls.length; i++) {
      const gap = calls[i].at - calls[i - 1].at;
      const announced = disconnections()[i - 1].retryIn;
      assert.ok(gap >= announced - 50 && gap <= announced + 1_000, `authUrl call ${i + 1} came ${gap.toFixed(0)} ms after the previous; retryIn was ${announced.toFixed(0)} ms`);
    }
    assert.equal(realtimeHost.connections(), 0, 'the SDK never opened a transport');
  });

  test('logged out (cookie): after connectionStateTtl it is suspended, and keeps asking with the same 80019/40100', async () => {
    const session = await login(baseUrl, USERS.member);
    assert.equal(await logout(baseUrl, session.sessionToken), 204);

    const client = realtime({
      authUrl: `${recorder.baseUrl}/ably/token`,
      authHeaders: { Cookie: `ably_session=${session.sessionToken}` },
      disconnectedRetryTimeout: 300,
      suspendedRetryTimeout: 500,
      connectionStateTtl: 1_200,
    });
    const changes = recordStates(client);
    await until('an authUrl failure while suspended', () => changes.some((c) => c.previous === 'connecting' && c.current === 'suspended'));
    client.close();

    const suspended = changes.find((c) => c.current === 'suspended');
    assert.equal(suspended.previous, 'disconnected');
    assert.equal(suspended.reason.code, 80002, 'entering suspended reports the connection as unavailable');
    const retried = changes.find((c) => c.previous === 'connecting' && c.current === 'suspended');
    assert.equal(retried.reason.code, 80019);
    assert.equal(retried.reason.cause.statusCode, 401);
    assert.equal(retried.reason.cause.code, 40100);
    assert.ok(Math.abs(retried.retryIn - 500) < 1, `suspendedRetryTimeout has no backoff or jitter (retryIn ${retried.retryIn})`);
    assert.equal(realtimeHost.connections(), 0);
  });

  test('an unreachable authUrl is also 80019 with cause.statusCode 401, but its cause.code is not 40100', async () => {
    const closedPort = await freePort();

    const client = realtime({ authUrl: `http://127.0.0.1:${closedPort}/ably/token` });
    const changes = recordStates(client);
    await until('a disconnection', () => changes.some((c) => c.current === 'disconnected'));
    client.close();

    const { reason } = changes.find((c) => c.current === 'disconnected');
    assert.equal(reason.code, 80019);
    assert.equal(reason.cause.statusCode, 401);
    assert.equal(reason.cause.code, 'ECONNREFUSED');
  });

  for (const refusal of [
    {
      name: "a member asking for someone else's clientId (authParams)",
      user: USERS.member,
      options: { authParams: { clientId: 'mallory' } },
      detail: 'The requested clientId is not allowed for this user; omit it or use your own.',
    },
    {
      name: 'a viewer asking for publish (defaultTokenParams)',
      user: USERS.viewer,
      options: { defaultTokenParams: { capability: { 'chat:lobby': ['publish'] } } },
      detail: 'The requested capability shares nothing with what policy allows this user.',
    },
  ]) {
    test(`403 for ${refusal.name}: failed with 80019 whose cause is 403/40300, and no retry`, async () => {
      const session = await login(baseUrl, refusal.user);
      const first = recorder.requests.length;

      const client = realtime({ authUrl: `${recorder.baseUrl}/ably/token`, authHeaders: bearer(session.sessionToken), ...refusal.options });
      const changes = recordStates(client);
      await until('failed', () => client.connection.state === 'failed');
      // Longer than the first retry would take: a failed connection asks nothing more.
      await delay(2 * RETRY_MS);

      assert.deepEqual(changes.map((c) => c.current), ['connecting', 'failed']);
      const { reason, retryIn } = changes[1];
      assert.equal(retryIn, undefined);
      assert.equal(reason.code, 80019);
      assert.equal(reason.statusCode, 403);
      assert.equal(reason.message, AUTH_PROVIDER_403);
      assert.equal(reason.cause.statusCode, 403);
      assert.equal(reason.cause.code, 40300);
      assert.equal(reason.cause.message, refusal.detail);
      assert.deepEqual(requestsSince(first).map((r) => r.status), [403]);
      assert.equal(realtimeHost.connections(), 0);
    });
  }
});
