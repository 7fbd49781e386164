// /ably/token-details with ably-js: the server obtains an Ably Token from Ably's REST host (the Node stand-in here, which
// verifies the TokenRequest's MAC, timestamp and nonce) and answers with TokenDetails, which ably-js takes as an authUrl
// answer (it has `issued`) and publishes with. Ably's refusals reach ably-js as errors carrying Ably's own code
// (X-Ably-ErrorCode) with status 502, never a 401/403 that would blame the user's session.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, afterEach, before, describe, test } from 'node:test';
import { ablyError, restWithAuthUrl } from '../lib/ably-clients.js';
import { createAblyAuthClient, fetchTokenDetails } from '../lib/api-client.js';
import { EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { startFakeAblyRest } from '../lib/fake-ably-rest.js';
import { startServer } from '../lib/server-process.js';
import { bearer, login } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const REQUEST_TIMEOUT_MS = 10_000;
const { baseUrl: sharedBaseUrl } = await useServer();

/** The TokenRequest MAC recomputed here from spec RSA9, apart from the server and the stand-in. */
function expectedMac({ keyName, ttl, capability, clientId, timestamp, nonce }) {
  const signText = `${keyName}\n${ttl ?? ''}\n${capability ?? ''}\n${clientId ?? ''}\n${timestamp}\n${nonce}\n`;
  return createHmac('sha256', Buffer.from(TEST_KEY.secret, 'utf8')).update(signText, 'utf8').digest('base64');
}

describe('Ably Tokens (Ably:AblyTokens) with ably-js', () => {
  let ably;
  let server;
  let session;

  before(async () => {
    ably = await startFakeAblyRest({ revocableTokens: false });
    // Its own server: the shared one runs the default configuration, which never calls Ably.
    server = await startServer({ extraEnv: { Ably__AblyTokens: 'true', Ably__RestHost: ably.baseUrl } });
    session = await login(server.baseUrl, USERS.member);
  });

  afterEach(() => ably.reset());

  after(async () => {
    await server?.stop();
    await ably?.close();
  });

  /** ably-js as an app would configure it, with the REST host on this machine and no fallback hosts. */
  function client(options = {}) {
    return restWithAuthUrl(
      server.baseUrl,
      {
        authHeaders: bearer(session.sessionToken),
        restHost: '127.0.0.1',
        port: ably.port,
        tls: false,
        fallbackHosts: [],
        // The stand-in reads JSON only.
        useBinaryProtocol: false,
        ...options,
      },
      '/ably/token-details',
    );
  }

  test('the answer is TokenDetails JSON with issued, which is what ably-js tells apart from a TokenRequest', async () => {
    const response = await fetch(`${server.baseUrl}/ably/token-details`, {
      headers: { ...bearer(session.sessionToken), accept: 'application/json, text/plain' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });

    assert.equal(response.status, 200, await response.clone().text());
    assert.match(response.headers.get('content-type'), /^application\/json/);
    assert.match(response.headers.get('cache-control') ?? '', /no-store/);
    const details = await response.json();
    assert.deepEqual(Object.keys(details), ['token', 'keyName', 'issued', 'expires', 'capability', 'clientId']);
    assert.equal(typeof details.capability, 'string');
    assert.ok(!('mac' in details) && !('nonce' in details));
    const [exchange] = ably.tokenExchanges;
    assert.deepEqual(details, exchange.details);
  });

  test('the client generated from the OpenAPI document reads the TokenDetails it describes', async () => {
    const details = await fetchTokenDetails(createAblyAuthClient(server.baseUrl), session.sessionToken, { ttl: 120_000 });

    assert.equal(details.keyName, TEST_KEY.name);
    assert.equal(details.clientId, USERS.member.clientId);
    assert.equal(details.expires - details.issued, 120_000);
    assert.equal(details.token, ably.tokenExchanges[0].details.token);
  });

  test('ably-js takes the TokenDetails from authUrl and publishes with the Ably Token; the stand-in checked the MAC', async () => {
    const rest = client();

    await rest.channels.get('chat:lobby').publish('greeting', 'hello with an Ably Token');

    assert.equal(ably.tokenExchanges.length, 1);
    const { tokenRequest, details, headers } = ably.tokenExchanges[0];
    assert.equal(tokenRequest.keyName, TEST_KEY.name);
    assert.equal(tokenRequest.clientId, USERS.member.clientId);
    assert.equal(tokenRequest.capability, EXPECTED_CAPABILITY.member);
    assert.equal(tokenRequest.ttl, 60 * 60_000);
    assert.equal(tokenRequest.mac, expectedMac(tokenRequest));
    assert.equal(headers['x-ably-version'], '6');
    assert.match(headers['ably-agent'], /^ably-auth-server\//);
    assert.equal(rest.auth.tokenDetails.token, details.token);
    assert.equal(rest.auth.tokenDetails.issued, details.issued);
    assert.equal(rest.auth.tokenDetails.expires, details.expires);
    assert.equal(rest.auth.tokenDetails.capability, EXPECTED_CAPABILITY.member);
    assert.equal(rest.auth.tokenDetails.clientId, USERS.member.clientId);
    const seen = ably.publishes.at(-1);
    assert.equal(seen.channel, 'chat:lobby');
    assert.equal(seen.auth.kind, 'ably-token');
    assert.equal(seen.auth.token, details.token);
    assert.equal(seen.auth.clientId, USERS.member.clientId);
    assert.equal(seen.messages[0].data, 'hello with an Ably Token');
  });

  test('POST with tokenParams: the capability is narrowed and the token cannot publish outside it', async () => {
    const rest = client({ authMethod: 'POST', defaultTokenParams: { capability: { 'chat:lobby': ['subscribe', 'publish'] }, ttl: 10 * 60_000 } });

    await rest.channels.get('chat:lobby').publish('greeting', 'narrowed');
    const denied = await ablyError(() => rest.channels.get('chat:other').publish('greeting', 'outside'));

    const { tokenRequest } = ably.tokenExchanges[0];
    assert.equal(tokenRequest.capability, '{"chat:lobby":["publish","subscribe"]}');
    assert.equal(tokenRequest.ttl, 10 * 60_000);
    assert.equal(rest.auth.tokenDetails.expires - rest.auth.tokenDetails.issued, 10 * 60_000);
    assert.equal(denied.code, 40160);
    assert.equal(denied.statusCode, 403);
  });

  test('a 500 from Ably is retried with a new TokenRequest, and ably-js gets its token', async () => {
    ably.failNext('requestToken');

    const details = await client().auth.requestToken();

    assert.equal(ably.rejections.length, 1);
    assert.equal(ably.rejections[0].code, 50000);
    assert.equal(ably.tokenExchanges.length, 1);
    assert.equal(details.token, ably.tokenExchanges[0].details.token);
  });

  test('a capability the key does not permit (Ably 40160) reaches ably-js as 40160 with status 502, not 403', async () => {
    ably.setKeyCapability(TEST_KEY.name, '{"news:*":["subscribe"]}');

    const error = await ablyError(() => client().auth.requestToken());

    assert.equal(error.code, 40160);
    assert.equal(error.statusCode, 502);
    assert.match(error.message, /^Ably refused to issue the token: 40160/);
    assert.equal(ably.tokenExchanges.length, 0);
  });

  test("a key Ably does not know (Ably 40101) reaches ably-js as 40101 with status 502: the user's session was fine", async () => {
    ably.removeKey(TEST_KEY.name);

    const error = await ablyError(() => client().auth.requestToken());

    assert.equal(error.code, 40101);
    assert.equal(error.statusCode, 502);
    assert.match(error.message, /the caller's own credentials were accepted/);
  });
});

describe('Ably Tokens are off by default', () => {
  test('the shared server answers /ably/token-details with 404 naming the setting, and ably-js reports it', async () => {
    const session = await login(sharedBaseUrl, USERS.member);

    const error = await ablyError(() =>
      restWithAuthUrl(sharedBaseUrl, { authHeaders: bearer(session.sessionToken) }, '/ably/token-details').auth.requestToken());

    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 40000);
    assert.match(error.message, /Ably:AblyTokens/);
  });
});
