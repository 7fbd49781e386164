// The embedded form end to end: ably-js takes /ably/embedded-token as its authUrl answer and publishes through the
// stand-in for Ably's REST host, which accepts the form as Ably does (the Ably JWT in the JOSE header is verified, the
// outer signature is not). An app's own API verifies the outer token with jose, finding the keys through discovery.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { ablyError, restWithAuthUrl } from '../lib/ably-clients.js';
import { EMBEDDED_AUDIENCE, EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { startFakeAblyRest } from '../lib/fake-ably-rest.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import { bearer, login } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();
const REQUEST_TIMEOUT_MS = 10_000;

async function embeddedToken(sessionToken, query = '') {
  const response = await fetch(`${baseUrl}/ably/embedded-token${query}`, {
    headers: { ...bearer(sessionToken), accept: 'application/json, text/plain' },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal(response.headers.get('content-type'), 'application/jwt');
  return response.text();
}

/** What an app's API does: discovery at the issuer, then the key set it names, then jwtVerify with issuer and audience. */
async function verifyAsAnApi(token, { audience = EMBEDDED_AUDIENCE } = {}) {
  const discovery = await (await fetch(`${baseUrl}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json();
  const keys = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return jwtVerify(token, keys, { issuer: discovery.issuer, audience, algorithms: ['ES256'] });
}

describe('the embedded token', () => {
  let ablyHost;
  let sessions;
  before(async () => {
    ablyHost = await startFakeAblyRest();
    sessions = {
      member: await login(baseUrl, USERS.member),
      viewer: await login(baseUrl, USERS.viewer),
    };
  });
  after(() => ablyHost?.close());

  function client(sessionToken, options = {}) {
    return restWithAuthUrl(
      baseUrl,
      {
        authHeaders: bearer(sessionToken),
        restHost: '127.0.0.1',
        port: ablyHost.port,
        tls: false,
        fallbackHosts: [],
        useBinaryProtocol: false,
        ...options,
      },
      '/ably/embedded-token',
    );
  }

  test('ably-js takes it as its authUrl answer and publishes; the stand-in verified the Ably JWT in its header', async () => {
    await client(sessions.member.sessionToken).channels.get('chat:lobby').publish('greeting', 'one token for Ably and the API');

    const seen = ablyHost.publishes.at(-1);
    assert.equal(seen.channel, 'chat:lobby');
    assert.equal(seen.auth.kind, 'embedded');
    assert.equal(seen.auth.embeddedIn, 'header');
    assert.equal(seen.auth.embedded.kind, 'jwt');
    assert.equal(seen.auth.keyName, TEST_KEY.name);
    assert.equal(seen.auth.clientId, USERS.member.clientId);
    assert.equal(seen.auth.capability, EXPECTED_CAPABILITY.member);
    assert.equal(seen.auth.outer.header.alg, 'ES256');
    assert.equal(seen.auth.outer.claims.iss, baseUrl);
    assert.equal(seen.auth.outer.claims.sub, USERS.member.username);
    assert.equal(seen.messages[0].data, 'one token for Ably and the API');
  });

  test('with authMethod POST and tokenParams, the embedded Ably JWT is narrowed like /ably/token', async () => {
    const rest = client(sessions.member.sessionToken, { authMethod: 'POST' });

    // authorize, unlike requestToken, keeps the token for the client's own requests.
    const details = await rest.auth.authorize({ capability: { 'chat:news': ['publish'] }, ttl: 120_000 });
    await rest.channels.get('chat:news').publish('headline', 'narrowed');

    const inner = await verifyAblyJwt(decodeProtectedHeader(details.token)['x-ably-token']);
    assert.equal(inner.claims['x-ably-capability'], '{"chat:news":["publish"]}');
    assert.equal(inner.claims.exp - inner.claims.iat, 120);
    assert.equal(ablyHost.publishes.at(-1).auth.capability, '{"chat:news":["publish"]}');
  });

  test('a viewer gets one too, and the stand-in still enforces its capability (40160)', async () => {
    const error = await ablyError(() => client(sessions.viewer.sessionToken).channels.get('chat:lobby').publish('x', 'y'));

    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40160);
    assert.equal(ablyHost.rejections.at(-1).code, 40160);
  });

  test("jose verifies it against the keys found through the discovery document, with the server's issuer and the audience", async () => {
    const token = await embeddedToken(sessions.member.sessionToken);

    const { payload, protectedHeader } = await verifyAsAnApi(token);

    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.typ, 'JWT');
    assert.match(protectedHeader.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(typeof protectedHeader['x-ably-token'], 'string');
    assert.equal(payload.iss, baseUrl);
    assert.equal(payload.aud, EMBEDDED_AUDIENCE);
    assert.equal(payload.sub, USERS.member.username);
    assert.equal(payload.ably_client_id, USERS.member.clientId);
    assert.deepEqual(payload.roles, [USERS.member.role]);
    const inner = await verifyAblyJwt(protectedHeader['x-ably-token']);
    assert.equal(inner.claims['x-ably-clientId'], USERS.member.clientId);
    assert.ok(payload.exp <= inner.claims.exp, 'the outer token must not outlive the Ably JWT');
  });

  test('the discovery document names the issuer and key set from configuration; the key set holds public keys only', async () => {
    const discovery = await (await fetch(`${baseUrl}/.well-known/openid-configuration`)).json();
    const response = await fetch(discovery.jwks_uri);
    const { keys } = await response.json();

    assert.equal(discovery.issuer, baseUrl);
    assert.equal(discovery.jwks_uri, `${baseUrl}/.well-known/jwks.json`);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['ES256']);
    assert.match(response.headers.get('cache-control'), /^public, max-age=\d+$/);
    assert.ok(keys.length >= 1);
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
  });

  test('jose refuses it for another audience, with a changed claim, and the plain Ably JWT (negative controls)', async () => {
    const token = await embeddedToken(sessions.member.sessionToken);
    const [header, , signature] = token.split('.');
    const changed = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), roles: ['service'] })).toString('base64url')}.${signature}`;
    const plain = await (await fetch(`${baseUrl}/ably/token`, { headers: bearer(sessions.member.sessionToken) })).text();

    await assert.rejects(verifyAsAnApi(token, { audience: 'https://another-api.test' }), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    await assert.rejects(verifyAsAnApi(changed), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    await assert.rejects(verifyAsAnApi(plain), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
  });
});
