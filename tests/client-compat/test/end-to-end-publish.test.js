// End to end without Ably's cloud: ably-js gets a token from this server through authUrl, then publishes to a local
// stand-in for Ably's REST host, which verifies the token the way Ably would and records the message.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ablyError, restWithAuthUrl } from '../lib/ably-clients.js';
import { EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { startFakeAblyRest } from '../lib/fake-ably-rest.js';
import { bearer, login } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();

describe('publish through a stand-in Ably REST host', () => {
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

  /** ably-js as an app would configure it, but with the REST host on this machine and no fallback hosts. */
  function client(sessionToken, authPath = '/ably/token') {
    return restWithAuthUrl(
      baseUrl,
      {
        authHeaders: bearer(sessionToken),
        restHost: '127.0.0.1',
        port: ablyHost.port,
        tls: false,
        fallbackHosts: [],
        // JSON on the wire so the stand-in can read the message without a msgpack decoder.
        useBinaryProtocol: false,
      },
      authPath,
    );
  }

  test('a member publishes on chat:lobby with the server JWT; the stand-in verifies it and sees the message', async () => {
    const publishedBefore = ablyHost.publishes.length;
    const channel = client(sessions.member.sessionToken).channels.get('chat:lobby');

    await channel.publish('greeting', { text: 'hello from client-compat' });

    assert.equal(ablyHost.publishes.length, publishedBefore + 1);
    const seen = ablyHost.publishes.at(-1);
    assert.equal(seen.channel, 'chat:lobby');
    assert.equal(seen.auth.kind, 'jwt');
    assert.equal(seen.auth.header.kid, TEST_KEY.name);
    assert.equal(seen.auth.clientId, USERS.member.clientId);
    assert.equal(seen.auth.capability, EXPECTED_CAPABILITY.member);
    assert.match(seen.headers.authorization, /^Bearer [A-Za-z0-9+/]+=*$/);
    assert.equal(seen.messages.length, 1);
    assert.equal(seen.messages[0].name, 'greeting');
    assert.deepEqual(JSON.parse(seen.messages[0].data), { text: 'hello from client-compat' });
    assert.equal(seen.messages[0].encoding, 'json');
  });

  test("a member publishes on its own private channel (policy template private:{clientId})", async () => {
    await client(sessions.member.sessionToken).channels.get('private:alice').publish('note', 'to self');

    const seen = ablyHost.publishes.at(-1);
    assert.equal(seen.channel, 'private:alice');
    assert.equal(seen.messages[0].data, 'to self');
  });

  test("the stand-in refuses a member publishing on another user's private channel (40160), as Ably would", async () => {
    const error = await ablyError(() => client(sessions.member.sessionToken).channels.get('private:bob').publish('x', 'y'));

    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40160);
  });

  test('a viewer token cannot publish: the capability from the server is enforced downstream', async () => {
    const error = await ablyError(() => client(sessions.viewer.sessionToken).channels.get('chat:lobby').publish('x', 'y'));

    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 40160);
    assert.equal(ablyHost.rejections.at(-1).code, 40160);
  });

  test('authUrl = /ably/token-request: ably-js exchanges the TokenRequest at the host, whose MAC check passes, then publishes', async () => {
    const exchanges = ablyHost.tokenExchanges.length;
    const channel = client(sessions.member.sessionToken, '/ably/token-request').channels.get('chat:news');

    await channel.publish('headline', 'token requests work too');

    assert.equal(ablyHost.tokenExchanges.length, exchanges + 1);
    const { tokenRequest } = ablyHost.tokenExchanges.at(-1);
    assert.equal(tokenRequest.keyName, TEST_KEY.name);
    assert.equal(tokenRequest.clientId, USERS.member.clientId);
    assert.equal(tokenRequest.capability, EXPECTED_CAPABILITY.member);
    const seen = ablyHost.publishes.at(-1);
    assert.equal(seen.channel, 'chat:news');
    assert.equal(seen.auth.kind, 'ably-token');
    assert.equal(seen.messages[0].data, 'token requests work too');
  });
});
