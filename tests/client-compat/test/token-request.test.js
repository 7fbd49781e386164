// /ably/token-request: the server's TokenRequest must be exactly what ably-js would sign with the same key.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { restWithKey } from '../lib/ably-clients.js';
import { EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { tokenRequestMac } from '../lib/fake-ably-rest.js';
import { bearer, login } from '../lib/session.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();
const REQUEST_TIMEOUT_MS = 10_000;

async function fetchTokenRequest(sessionToken, { method = 'GET', params = {}, json = false } = {}) {
  const url = new URL('/ably/token-request', baseUrl);
  const init = { method, headers: { ...bearer(sessionToken), accept: 'application/json' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (method === 'GET') {
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  } else if (json) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(params);
  } else {
    init.body = new URLSearchParams(params);
  }
  const response = await fetch(url, init);
  assert.equal(response.status, 200, await response.clone().text());
  assert.match(response.headers.get('content-type'), /^application\/json/);
  assert.match(response.headers.get('cache-control') ?? '', /no-store/);
  return response.json();
}

/** What ably-js's own createTokenRequest produces for the same key and inputs. */
async function ablyJsTokenRequest({ ttl, capability, clientId, timestamp, nonce }) {
  const tokenParams = { ttl, capability, clientId, timestamp, nonce };
  for (const name of Object.keys(tokenParams)) {
    if (tokenParams[name] === undefined || tokenParams[name] === null) delete tokenParams[name];
  }
  return restWithKey(TEST_KEY.full).auth.createTokenRequest(tokenParams, { key: TEST_KEY.full, queryTime: false });
}

/** Every field equal, and the same set of fields. */
async function assertMatchesAblyJs(serverRequest) {
  const ablyJs = await ablyJsTokenRequest(serverRequest);
  assert.deepEqual({ ...serverRequest }, { ...ablyJs });
  // A third, independent computation of the MAC straight from the spec.
  assert.equal(serverRequest.mac, tokenRequestMac(serverRequest, TEST_KEY.secret));
}

describe('/ably/token-request matches ably-js createTokenRequest', () => {
  let session;
  before(async () => {
    session = await login(baseUrl, USERS.member);
  });

  test('default request: every field equals ably-js output, types are numbers and a JSON string', async () => {
    const tokenRequest = await fetchTokenRequest(session.sessionToken);

    assert.deepEqual(Object.keys(tokenRequest).sort(), ['capability', 'clientId', 'keyName', 'mac', 'nonce', 'timestamp', 'ttl']);
    assert.equal(tokenRequest.keyName, TEST_KEY.name);
    assert.equal(tokenRequest.clientId, USERS.member.clientId);
    assert.equal(tokenRequest.capability, EXPECTED_CAPABILITY.member);
    assert.equal(tokenRequest.ttl, 3_600_000);
    assert.equal(typeof tokenRequest.timestamp, 'number');
    assert.ok(Math.abs(tokenRequest.timestamp - Date.now()) < 60_000, 'timestamp is now, in ms');
    assert.ok(tokenRequest.nonce.length >= 16, `nonce ${tokenRequest.nonce} is at least 16 characters`);
    await assertMatchesAblyJs(tokenRequest);
  });

  test('narrowed by query params (GET)', async () => {
    const tokenRequest = await fetchTokenRequest(session.sessionToken, {
      params: { ttl: '600000', capability: JSON.stringify({ 'chat:lobby': ['subscribe', 'publish'] }), clientId: 'alice' },
    });

    assert.equal(tokenRequest.ttl, 600_000);
    assert.equal(tokenRequest.capability, '{"chat:lobby":["publish","subscribe"]}');
    await assertMatchesAblyJs(tokenRequest);
  });

  test('narrowed by a form body (POST)', async () => {
    const tokenRequest = await fetchTokenRequest(session.sessionToken, {
      method: 'POST',
      params: { ttl: '120000', capability: JSON.stringify({ 'private:alice': ['history'] }) },
    });

    assert.equal(tokenRequest.ttl, 120_000);
    assert.equal(tokenRequest.capability, '{"private:alice":["history"]}');
    await assertMatchesAblyJs(tokenRequest);
  });

  test('narrowed by a JSON body (POST)', async () => {
    const tokenRequest = await fetchTokenRequest(session.sessionToken, {
      method: 'POST',
      json: true,
      params: { ttl: 60_000, capability: JSON.stringify({ 'chat:*': ['presence'] }) },
    });

    assert.equal(tokenRequest.ttl, 60_000);
    assert.equal(tokenRequest.capability, '{"chat:*":["presence"]}');
    await assertMatchesAblyJs(tokenRequest);
  });

  test('a service minting for another clientId still matches', async () => {
    const service = await login(baseUrl, USERS.service);
    const tokenRequest = await fetchTokenRequest(service.sessionToken, { params: { clientId: 'worker-9' } });

    assert.equal(tokenRequest.clientId, 'worker-9');
    assert.equal(tokenRequest.capability, EXPECTED_CAPABILITY.service);
    await assertMatchesAblyJs(tokenRequest);
  });

  test('two requests never share a nonce', async () => {
    const first = await fetchTokenRequest(session.sessionToken);
    const second = await fetchTokenRequest(session.sessionToken);

    assert.notEqual(first.nonce, second.nonce);
    assert.notEqual(first.mac, second.mac);
  });
});

describe('the reference test vectors (ably-js 2.28.0, key appId.keyId:c2VjcmV0LWZvci10ZXN0cw)', () => {
  // Pins the MAC recipe this suite relies on to ably-js itself, so a drift in either shows up here.
  const key = 'appId.keyId:c2VjcmV0LWZvci10ZXN0cw';
  const vectors = [
    {
      params: { clientId: 'alice', capability: '{"chat:*":["publish","subscribe"]}', ttl: 3_600_000, nonce: '0123456789abcdef' },
      mac: 'T93LegSNPjnuzA7Mr0OLks5NYcgb10mE/8XkyfPMHvc=',
    },
    { params: { nonce: 'fedcba9876543210' }, mac: 'CPH3x2V4B86wIJAg/ryS4qeL5Ft0dQK/dPMqMPmta1s=' },
  ];

  for (const { params, mac } of vectors) {
    test(`nonce ${params.nonce}`, async () => {
      const tokenRequest = await restWithKey(key).auth.createTokenRequest(
        { ...params, timestamp: 1_700_000_000_000 },
        { key, queryTime: false },
      );

      assert.equal(tokenRequest.mac, mac);
      assert.equal(tokenRequestMac(tokenRequest, key.split(':')[1]), mac);
    });
  }
});
