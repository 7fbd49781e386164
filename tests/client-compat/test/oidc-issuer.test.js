// The real issuer (oidc-provider) the server will accept external JWTs from: what it serves and what its access
// tokens are, checked with jose against its published keys, the way a relying party sees them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { DEFAULT_AUDIENCE, startOidcIssuer } from '../lib/oidc-issuer.js';

const PUBLISHER = Object.freeze({ clientId: 'svc-publisher', clientSecret: 'publisher-secret-for-tests-only-0123456789', roles: ['service'] });
const NOBODY = Object.freeze({ clientId: 'svc-nobody', clientSecret: 'nobody-secret-for-tests-only-0123456789', roles: ['no-such-role'] });
const RENAMED = Object.freeze({ clientId: 'svc-renamed', clientSecret: 'renamed-secret-for-tests-only-0123456789', roles: [], subject: 'backend-worker-7' });
const OTHER_AUDIENCE = 'https://someone-else.test';

describe('oidc-provider as an external issuer', () => {
  let op;
  let discovery;
  before(async () => {
    op = await startOidcIssuer({ clients: [PUBLISHER, NOBODY, RENAMED], otherAudiences: [OTHER_AUDIENCE] });
    discovery = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  });
  after(() => op?.close());

  const verify = (token, options = {}) =>
    jwtVerify(token, createRemoteJWKSet(new URL(discovery.jwks_uri)), {
      issuer: op.issuer,
      audience: DEFAULT_AUDIENCE,
      algorithms: ['RS256', 'ES256'],
      ...options,
    });

  test('serves discovery at {issuer}/.well-known/openid-configuration, naming only its own loopback endpoints', () => {
    assert.match(op.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(discovery.issuer, op.issuer);
    assert.equal(discovery.jwks_uri, `${op.issuer}/jwks`);
    assert.ok(discovery.grant_types_supported.includes('client_credentials'));
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['RS256', 'ES256']);
    for (const [name, value] of Object.entries(discovery)) {
      if (typeof value === 'string' && /^[a-z]+:\/\//.test(value)) {
        assert.ok(value.startsWith(`${op.issuer}/`) || value === op.issuer, `${name} points away from the issuer: ${value}`);
      }
    }
  });

  test('publishes an RS256 and an ES256 public key, with no private parts', async () => {
    const { keys } = await (await fetch(discovery.jwks_uri)).json();

    assert.deepEqual(keys.map(({ kid, alg, use }) => ({ kid, alg, use })), op.keys.map((k) => ({ ...k, use: 'sig' })));
    for (const key of keys) {
      assert.deepEqual(['d', 'p', 'q', 'dp', 'dq', 'qi'].filter((part) => part in key), [], `${key.kid} leaks private parameters`);
    }
  });

  test('client_credentials with the resource indicator yields a JWT access token that verifies against the JWKS', async () => {
    const token = await op.accessToken(PUBLISHER.clientId);
    const header = decodeProtectedHeader(token);
    const { keys } = await (await fetch(discovery.jwks_uri)).json();

    const { payload, protectedHeader } = await verify(token, { typ: 'at+jwt' });

    assert.equal(header.alg, 'RS256');
    assert.ok(keys.some((key) => key.kid === header.kid), `kid ${header.kid} is not in the JWKS`);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.iss, op.issuer);
    assert.equal(payload.aud, DEFAULT_AUDIENCE);
    assert.equal(payload.sub, PUBLISHER.clientId);
    assert.equal(payload.client_id, PUBLISHER.clientId);
    assert.deepEqual(payload.roles, PUBLISHER.roles);
    assert.equal(payload.exp - payload.iat, 600);
    assert.equal(typeof payload.jti, 'string');
  });

  test('each client carries its own roles, and a subject can replace the clientId as sub', async () => {
    const nobody = (await verify(await op.accessToken(NOBODY.clientId))).payload;
    const renamed = (await verify(await op.accessToken(RENAMED.clientId))).payload;

    assert.deepEqual([nobody.sub, nobody.roles], [NOBODY.clientId, NOBODY.roles]);
    assert.deepEqual([renamed.sub, renamed.client_id, renamed.roles], [RENAMED.subject, RENAMED.clientId, []]);
  });

  test('an ES256 issuer signs with its EC key, also in the JWKS', async () => {
    const ec = await startOidcIssuer({ clients: [PUBLISHER], accessTokenAlg: 'ES256' });
    try {
      const token = await ec.accessToken(PUBLISHER.clientId);
      const { protectedHeader, payload } = await jwtVerify(token, createRemoteJWKSet(new URL(ec.jwksUri)), {
        issuer: ec.issuer,
        audience: DEFAULT_AUDIENCE,
        algorithms: ['ES256'],
      });

      assert.equal(protectedHeader.kid, ec.keys.find((k) => k.alg === 'ES256').kid);
      assert.equal(payload.sub, PUBLISHER.clientId);
    } finally {
      await ec.close();
    }
  });

  test('without a resource indicator the access token is opaque, not a JWT', async () => {
    const { status, body } = await op.tokenResponse(PUBLISHER.clientId, { resource: null });

    assert.equal(status, 200);
    assert.equal(body.access_token.split('.').length, 1, 'expected an opaque token');
  });

  test('a token for another registered audience fails audience validation', async () => {
    const token = await op.accessToken(PUBLISHER.clientId, { resource: OTHER_AUDIENCE });

    assert.equal(decodeJwt(token).aud, OTHER_AUDIENCE);
    await assert.rejects(verify(token), (error) => error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud');
  });

  test('an unknown resource indicator and a wrong secret are refused by the issuer', async () => {
    const unknown = await op.tokenResponse(PUBLISHER.clientId, { resource: 'https://not-registered.test' });
    const wrongSecret = await op.tokenResponse(PUBLISHER.clientId, { clientSecret: 'not-the-secret' });

    assert.deepEqual([unknown.status, unknown.body.error], [400, 'invalid_target']);
    assert.deepEqual([wrongSecret.status, wrongSecret.body.error], [401, 'invalid_client']);
  });

  test('a token from another issuer does not verify against this one\'s keys', async () => {
    const stranger = await startOidcIssuer({ clients: [PUBLISHER] });
    try {
      const token = await stranger.accessToken(PUBLISHER.clientId);

      await assert.rejects(verify(token, { issuer: undefined }), joseErrors.JWKSNoMatchingKey);
    } finally {
      await stranger.close();
    }
  });

  test('refuses a sub the server would reject as a clientId', async () => {
    await assert.rejects(
      startOidcIssuer({ clients: [{ clientId: 'svc:wide*', clientSecret: 'x'.repeat(40) }] }),
      /would not be a valid Ably clientId/,
    );
  });

  test('made no outbound request', () => {
    assert.deepEqual(op.outboundRequests, []);
  });
});
