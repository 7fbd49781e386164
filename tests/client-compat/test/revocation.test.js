// Revocable mode end to end with ably-js: the JWT that ably-js gets from authUrl carries the session's revocation key;
// logging out makes the server call Ably's revokeTokens (the Node stand-in here) with exactly that key; Ably then
// refuses the token (40141) and ably-js's renewal through authUrl is refused with 401 (log in again).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Ably, ablyError } from '../lib/ably-clients.js';
import { TEST_KEY, USERS } from '../lib/config.js';
import { startFakeAblyRest } from '../lib/fake-ably-rest.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import { startServer } from '../lib/server-process.js';
import { bearer, login, logout } from '../lib/session.js';

describe('revocable tokens (Ably:Revocable) with ably-js', () => {
  let ably;
  let server;

  before(async () => {
    ably = await startFakeAblyRest();
    // Its own server: the shared one runs the default configuration, which never calls Ably.
    server = await startServer({ extraEnv: { Ably__Revocable: 'true', Ably__RestHost: ably.baseUrl } });
  });

  after(async () => {
    await server?.stop();
    await ably?.close();
  });

  test('logout revokes the revocation key of the JWT ably-js received, and ably-js is then refused', async () => {
    const session = await login(server.baseUrl, USERS.member);
    const client = new Ably.Rest({
      authUrl: `${server.baseUrl}/ably/token`,
      authHeaders: bearer(session.sessionToken),
      restHost: '127.0.0.1',
      port: ably.port,
      tls: false,
      fallbackHosts: [],
      // The stand-in reads JSON only.
      useBinaryProtocol: false,
      logLevel: 0,
    });
    const channel = client.channels.get('chat:lobby');

    await channel.publish('greeting', 'before logout');
    const jwt = client.auth.tokenDetails.token;
    const { claims } = await verifyAblyJwt(jwt);
    const revocationKey = claims['x-ably-revocation-key'];
    assert.match(revocationKey, /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(revocationKey, USERS.member.clientId);
    assert.notEqual(revocationKey, USERS.member.username);
    assert.equal(ably.publishes.at(-1).auth.revocationKey, revocationKey);

    const loggedOutAt = Date.now();
    assert.equal(await logout(server.baseUrl, session.sessionToken), 204);

    const [call] = await ably.waitForCalls('revokeTokens', 1);
    assert.equal(call.keyName, TEST_KEY.name);
    assert.deepEqual(call.targets, [`revocationKey:${revocationKey}`]);
    assert.ok(call.issuedBeforeSent >= claims.iat * 1000 && call.issuedBeforeSent <= loggedOutAt + 1_000,
      `issuedBefore ${call.issuedBeforeSent}, iat ${claims.iat}, logout at ${loggedOutAt}`);
    assert.equal(call.ablyVersion, '6');
    assert.match(call.ablyAgent, /^ably-auth-server\//);

    // Ably refuses the revoked token; ably-js asks authUrl for a new one, and the ended session gets 401.
    const refused = await ablyError(() => channel.publish('greeting', 'after logout'));
    assert.equal(refused.statusCode, 401);
    assert.ok(ably.rejections.some((r) => r.code === 40141), JSON.stringify(ably.rejections));
    assert.equal(ably.publishes.length, 1);
  });
});
