// An app that signs its users in with its own identity provider exchanges the provider's token for an Ably JWT: the
// provider is oidc-provider (OpenID Certified), its JWT access tokens come from a client-credentials grant with a
// resource indicator, and ably-js fetches the Ably token the two ways apps wire it: authCallback, and authUrl with
// authHeaders. Runs its own server, configured with this provider.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { Ably, ablyError } from '../lib/ably-clients.js';
import { EXPECTED_CAPABILITY, TEST_KEY } from '../lib/config.js';
import { DEFAULT_AUDIENCE, startOidcIssuer } from '../lib/oidc-issuer.js';
import { startServer } from '../lib/server-process.js';

const VIEWER = Object.freeze({ clientId: 'app-viewer', clientSecret: 'viewer-secret-for-tests-only-0123456789', roles: ['viewer'] });
const NOBODY = Object.freeze({ clientId: 'app-nobody', clientSecret: 'nobody-secret-for-tests-only-0123456789', roles: ['no-such-role'] });
const QUIET = { logLevel: 0 };

describe('ably-js with an identity provider token (oidc-provider)', () => {
  let op;
  let server;
  before(async () => {
    op = await startOidcIssuer({ clients: [VIEWER, NOBODY] });
    server = await startServer({
      extraEnv: {
        Auth__Issuers__0__Authority: op.issuer,
        Auth__Issuers__0__Audience: DEFAULT_AUDIENCE,
        Auth__Issuers__0__RequireHttpsMetadata: 'false',
      },
      seedUsers: false,
    });
  });
  after(async () => {
    await server?.stop();
    await op?.close();
  });

  test('authCallback: the app fetches /ably/token with the provider token and ably-js takes the JWT for the provider subject', async () => {
    const accessToken = await op.accessToken(VIEWER.clientId);
    const provider = decodeJwt(accessToken);
    const rest = new Ably.Rest({
      ...QUIET,
      authCallback: async (_params, done) => {
        const r = await fetch(`${server.baseUrl}/ably/token`, { headers: { Authorization: `Bearer ${accessToken}` } });
        if (r.ok) {
          done(null, await r.text());
        } else {
          done(await r.json(), null);
        }
      },
    });

    const details = await rest.auth.authorize();
    const claims = decodeJwt(details.token);

    assert.equal(claims['x-ably-clientId'], provider.sub);
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.viewer);
    assert.ok(claims.exp <= provider.exp, `the Ably token (exp ${claims.exp}) outlives the provider token (exp ${provider.exp})`);
    assert.equal(decodeJwt(details.token).iat <= Math.floor(Date.now() / 1000) + 1, true);
    assert.equal(JSON.parse(Buffer.from(details.token.split('.')[0], 'base64url').toString()).kid, TEST_KEY.name);
  });

  test('authUrl with authHeaders: ably-js sends the provider token on every authUrl request and gets the JWT', async () => {
    const accessToken = await op.accessToken(VIEWER.clientId);
    const rest = new Ably.Rest({ ...QUIET, authUrl: `${server.baseUrl}/ably/token`, authHeaders: { Authorization: `Bearer ${accessToken}` } });

    const first = await rest.auth.authorize();
    // authorize() always fetches a new token: the SDK calls the authUrl again, as it does before expiry.
    const second = await rest.auth.authorize();

    assert.equal(decodeJwt(first.token)['x-ably-clientId'], decodeJwt(accessToken).sub);
    assert.equal(decodeJwt(second.token)['x-ably-clientId'], decodeJwt(accessToken).sub);
  });

  test('a provider user whose roles grant nothing is refused with 403, which ably-js reports as a 40300 error and does not retry', async () => {
    const accessToken = await op.accessToken(NOBODY.clientId);
    const rest = new Ably.Rest({ ...QUIET, authUrl: `${server.baseUrl}/ably/token`, authHeaders: { Authorization: `Bearer ${accessToken}` } });

    const error = await ablyError(() => rest.auth.authorize());

    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40300);
    assert.match(error.message, /no role that a policy here defines/);
  });

  test('a provider token that is not valid any more is refused with 401 and 40100, so the app asks the provider again', async () => {
    const accessToken = await op.accessToken(VIEWER.clientId);
    const tampered = accessToken.slice(0, -4) + (accessToken.at(-4) === 'A' ? 'BBBB' : 'AAAA');

    const response = await fetch(`${server.baseUrl}/ably/token`, { headers: { Authorization: `Bearer ${tampered}` } });
    const problem = await response.json();

    assert.equal(response.status, 401);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.equal(response.headers.get('x-ably-errorcode'), '40100');
    assert.match(problem.detail, /get a fresh token from the provider/);
  });
});
