// ably-js `Rest` with `authUrl` pointed at /ably/token: every way an app can send its credentials and params.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ablyError, restWithAuthUrl } from '../lib/ably-clients.js';
import { DEFAULT_TTL_SECONDS, EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import { basic, bearer, login, logout } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();

/** The member's default token, as policy says: own clientId, the member capability, the default TTL. */
async function assertMemberToken(jwt, { ttlSeconds = DEFAULT_TTL_SECONDS } = {}) {
  const { header, claims } = await verifyAblyJwt(jwt);
  assert.equal(header.alg, 'HS256');
  assert.equal(header.kid, TEST_KEY.name);
  assert.equal(claims['x-ably-clientId'], USERS.member.clientId);
  assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.member);
  assert.equal(claims.exp - claims.iat, ttlSeconds);
  assert.ok(Math.abs(claims.iat - Date.now() / 1000) < 60, `iat ${claims.iat} is not now`);
}

describe('ably-js Rest with authUrl = /ably/token', () => {
  let session;
  before(async () => {
    session = await login(baseUrl, USERS.member);
  });

  test('auth.requestToken() with a Bearer session returns the server JWT', async () => {
    const rest = restWithAuthUrl(baseUrl, { authHeaders: bearer(session.sessionToken) });

    const tokenDetails = await rest.auth.requestToken();

    await assertMemberToken(tokenDetails.token);
  });

  test('auth.authorize() adopts the JWT as the client token', async () => {
    const rest = restWithAuthUrl(baseUrl, { authHeaders: bearer(session.sessionToken) });

    const tokenDetails = await rest.auth.authorize();

    await assertMemberToken(tokenDetails.token);
    assert.equal(rest.auth.tokenDetails.token, tokenDetails.token);
  });

  test("authMethod: 'POST' sends the params form-encoded and gets the same JWT", async () => {
    const rest = restWithAuthUrl(baseUrl, {
      authMethod: 'POST',
      authHeaders: bearer(session.sessionToken),
      authParams: { app: 'client-compat', rnd: 'cache-buster' },
    });

    const tokenDetails = await rest.auth.requestToken({ ttl: 90_000 });

    await assertMemberToken(tokenDetails.token, { ttlSeconds: 90 });
  });

  test('authParams reach the server, unknown ones are ignored, and token params win over them', async () => {
    const rest = restWithAuthUrl(baseUrl, {
      authHeaders: bearer(session.sessionToken),
      authParams: { ttl: '120000', app: 'client-compat', rnd: 'cache-buster' },
    });

    const fromAuthParams = await rest.auth.requestToken();
    const tokenParamsWin = await rest.auth.requestToken({ ttl: 30_000 });

    await assertMemberToken(fromAuthParams.token, { ttlSeconds: 120 });
    await assertMemberToken(tokenParamsWin.token, { ttlSeconds: 30 });
  });

  test('authParams with POST and a query string already on the authUrl', async () => {
    const rest = restWithAuthUrl(
      baseUrl,
      { authMethod: 'POST', authHeaders: bearer(session.sessionToken), authParams: { ttl: '150000' } },
      '/ably/token?source=client-compat',
    );

    const tokenDetails = await rest.auth.requestToken();

    await assertMemberToken(tokenDetails.token, { ttlSeconds: 150 });
  });

  test('a JSON POST body with unknown fields is accepted: unknown params are ignored, never rejected', async () => {
    const response = await fetch(`${baseUrl}/ably/token`, {
      method: 'POST',
      headers: { ...bearer(session.sessionToken), 'content-type': 'application/json', accept: 'application/json, text/plain' },
      body: JSON.stringify({ ttl: '100000', rnd: 'x', app: 'client-compat' }),
      signal: AbortSignal.timeout(10_000),
    });

    assert.equal(response.status, 200, await response.clone().text());
    assert.match(response.headers.get('content-type'), /^application\/jwt/);
    assert.match(response.headers.get('cache-control'), /no-store/);
    await assertMemberToken(await response.text(), { ttlSeconds: 100 });
  });

  test('Basic username:password in authHeaders works without a session (GET and POST)', async () => {
    for (const authMethod of ['GET', 'POST']) {
      const rest = restWithAuthUrl(baseUrl, { authMethod, authHeaders: basic(USERS.member) });

      const tokenDetails = await rest.auth.requestToken();

      await assertMemberToken(tokenDetails.token);
    }
  });

  test('no credentials: ably-js reports 401 with the server code 40100', async () => {
    const rest = restWithAuthUrl(baseUrl);

    const error = await ablyError(() => rest.auth.requestToken());

    assert.equal(error.statusCode, 401);
    assert.equal(error.code, 40100);
  });

  test('wrong Basic password: 401, not a token', async () => {
    const rest = restWithAuthUrl(baseUrl, { authHeaders: basic({ ...USERS.viewer, password: 'not the password' }) });

    const error = await ablyError(() => rest.auth.requestToken());

    assert.equal(error.statusCode, 401);
    assert.equal(error.code, 40100);
  });

  test('after logout the session no longer gets tokens (401, so ably-js would retry later)', async () => {
    const own = await login(baseUrl, USERS.member);
    const rest = restWithAuthUrl(baseUrl, { authHeaders: bearer(own.sessionToken) });
    await assertMemberToken((await rest.auth.requestToken()).token);

    assert.equal(await logout(baseUrl, own.sessionToken), 204);
    const error = await ablyError(() => rest.auth.requestToken());

    assert.equal(error.statusCode, 401);
    assert.equal(error.code, 40100);
  });
});
