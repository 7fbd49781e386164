// ably-js tokenParams (clientId, capability, ttl) are untrusted input: they may narrow what policy grants, never widen it.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ablyError, restWithAuthUrl } from '../lib/ably-clients.js';
import { DEFAULT_TTL_SECONDS, EXPECTED_CAPABILITY, MAX_TTL_SECONDS, USERS } from '../lib/config.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import { bearer, login } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();

/** Logs in as `user` and returns `tokenParams => claims` through ably-js with GET and POST alternately. */
async function tokenClaimsFor(user) {
  const { sessionToken } = await login(baseUrl, user);
  const get = restWithAuthUrl(baseUrl, { authHeaders: bearer(sessionToken) });
  const post = restWithAuthUrl(baseUrl, { authHeaders: bearer(sessionToken), authMethod: 'POST' });
  return {
    get: async (tokenParams) => (await verifyAblyJwt((await get.auth.requestToken(tokenParams)).token)).claims,
    post: async (tokenParams) => (await verifyAblyJwt((await post.auth.requestToken(tokenParams)).token)).claims,
    refusal: (tokenParams) => ablyError(() => get.auth.requestToken(tokenParams)),
  };
}

describe('member: tokenParams narrow the member policy', () => {
  let member;
  before(async () => {
    member = await tokenClaimsFor(USERS.member);
  });

  test('its own clientId is accepted', async () => {
    for (const request of [member.get, member.post]) {
      const claims = await request({ clientId: USERS.member.clientId });
      assert.equal(claims['x-ably-clientId'], USERS.member.clientId);
      assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.member);
    }
  });

  test('a capability inside policy is intersected: unknown-to-policy ops and channels drop out', async () => {
    const capability = { 'chat:lobby': ['publish', 'subscribe', 'stats'], 'private:alice': ['presence'], 'admin:*': ['*'] };
    for (const request of [member.get, member.post]) {
      const claims = await request({ capability });
      assert.equal(claims['x-ably-capability'], '{"chat:lobby":["publish","subscribe"],"private:alice":["presence"]}');
      assert.equal(claims['x-ably-clientId'], USERS.member.clientId);
    }
  });

  test('ttl is honoured in milliseconds', async () => {
    const claims = await member.post({ ttl: 5 * 60_000 });
    assert.equal(claims.exp - claims.iat, 300);
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.member);
  });

  test('a ttl above the maximum is clamped to it', async () => {
    const claims = await member.get({ ttl: 48 * 60 * 60_000 });
    assert.equal(claims.exp - claims.iat, MAX_TTL_SECONDS);
  });

  test('clientId, capability and ttl together', async () => {
    const claims = await member.get({ clientId: 'alice', capability: { 'chat:news': ['subscribe'] }, ttl: 600_000 });
    assert.equal(claims['x-ably-clientId'], 'alice');
    assert.equal(claims['x-ably-capability'], '{"chat:news":["subscribe"]}');
    assert.equal(claims.exp - claims.iat, 600);
  });

  test("someone else's clientId is refused: ably-js surfaces 403 / 40300, not a token", async () => {
    const error = await member.refusal({ clientId: 'mallory' });
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40300);
    assert.match(error.message, /clientId/i);
  });

  test('the wildcard clientId is refused to a member', async () => {
    const error = await member.refusal({ clientId: '*' });
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40300);
  });

  test('a capability outside policy entirely is refused with 403 / 40300', async () => {
    const error = await member.refusal({ capability: { 'admin:*': ['publish'] } });
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40300);
  });
});

describe('viewer: read-only policy', () => {
  let viewer;
  before(async () => {
    viewer = await tokenClaimsFor(USERS.viewer);
  });

  test('gets subscribe and history on chat:* only', async () => {
    const claims = await viewer.get();
    assert.equal(claims['x-ably-clientId'], USERS.viewer.clientId);
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.viewer);
    assert.equal(claims.exp - claims.iat, DEFAULT_TTL_SECONDS);
  });

  test('asking for publish alongside subscribe keeps only subscribe', async () => {
    const claims = await viewer.post({ capability: { 'chat:lobby': ['publish', 'subscribe'] } });
    assert.equal(claims['x-ably-capability'], '{"chat:lobby":["subscribe"]}');
  });

  test('asking for publish only is refused with 403 / 40300', async () => {
    const error = await viewer.refusal({ capability: { 'chat:lobby': ['publish'] } });
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40300);
  });
});

describe('service: any clientId', () => {
  let service;
  before(async () => {
    service = await tokenClaimsFor(USERS.service);
  });

  test('defaults to its own clientId (set with users add --client-id) and the full capability', async () => {
    const claims = await service.get();
    assert.equal(claims['x-ably-clientId'], USERS.service.clientId);
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.service);
  });

  test('may mint for another clientId, narrowed to one channel', async () => {
    const claims = await service.post({ clientId: 'worker-7', capability: { 'jobs:queue': ['subscribe', 'publish'] } });
    assert.equal(claims['x-ably-clientId'], 'worker-7');
    assert.equal(claims['x-ably-capability'], '{"jobs:queue":["publish","subscribe"]}');
  });

  test('may mint a wildcard-clientId token', async () => {
    const claims = await service.get({ clientId: '*' });
    assert.equal(claims['x-ably-clientId'], '*');
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.service);
  });
});

describe('malformed params', () => {
  test('a non-numeric ttl in authParams is a 400 / 40000', async () => {
    const { sessionToken } = await login(baseUrl, USERS.member);
    const rest = restWithAuthUrl(baseUrl, { authHeaders: bearer(sessionToken), authParams: { ttl: 'soon' } });

    const error = await ablyError(() => rest.auth.requestToken());

    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 40000);
  });

  test('a capability that is not JSON is a 400 / 40000', async () => {
    const { sessionToken } = await login(baseUrl, USERS.member);
    const rest = restWithAuthUrl(baseUrl, { authHeaders: bearer(sessionToken), authParams: { capability: '{not json' } });

    const error = await ablyError(() => rest.auth.requestToken());

    assert.equal(error.statusCode, 400);
    assert.equal(error.code, 40000);
  });
});
