// The JWT from /ably/token, checked with jose (not the .NET code that signed it): what Ably itself will verify.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { errors as joseErrors, jwtVerify } from 'jose';
import { restWithAuthUrl } from '../lib/ably-clients.js';
import { DEFAULT_TTL_SECONDS, EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import { bearer, login } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();

describe('JWT verification with jose', () => {
  let jwt;
  before(async () => {
    const { sessionToken } = await login(baseUrl, USERS.member);
    jwt = (await restWithAuthUrl(baseUrl, { authHeaders: bearer(sessionToken) }).auth.requestToken()).token;
  });

  test('verifies with the key secret as HS256, with kid = key name and typ JWT', async () => {
    const secret = new TextEncoder().encode(TEST_KEY.secret);

    const { protectedHeader, payload } = await jwtVerify(jwt, secret, { algorithms: ['HS256'], typ: 'JWT' });

    assert.deepEqual(protectedHeader, { alg: 'HS256', kid: TEST_KEY.name, typ: 'JWT' });
    assert.equal(typeof payload.iat, 'number');
    assert.equal(typeof payload.exp, 'number');
  });

  test('claims are what the member policy grants, with the capability as a JSON string', async () => {
    const { claims } = await verifyAblyJwt(jwt);

    assert.equal(typeof claims['x-ably-capability'], 'string');
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.member);
    assert.equal(claims['x-ably-clientId'], USERS.member.clientId);
    assert.equal(claims.exp - claims.iat, DEFAULT_TTL_SECONDS);
    assert.ok(Number.isInteger(claims.iat) && Number.isInteger(claims.exp), 'iat and exp are whole seconds');
  });

  test('does not verify with another secret (negative control)', async () => {
    const wrong = new TextEncoder().encode(`${TEST_KEY.secret}-but-different`);

    await assert.rejects(jwtVerify(jwt, wrong, { algorithms: ['HS256'] }), joseErrors.JWSSignatureVerificationFailed);
  });

  test('is refused by a verifier that only accepts another algorithm', async () => {
    const secret = new TextEncoder().encode(TEST_KEY.secret);

    await assert.rejects(jwtVerify(jwt, secret, { algorithms: ['HS512'] }), joseErrors.JOSEAlgNotAllowed);
  });

  test('stays well under the 8 KB header budget', () => {
    assert.ok(Buffer.byteLength(jwt) < 8 * 1024, `JWT is ${Buffer.byteLength(jwt)} bytes`);
  });
});
