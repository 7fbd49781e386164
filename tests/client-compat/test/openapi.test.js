// The OpenAPI document as client generators see it: served, turned into TypeScript types, used by a typed
// openapi-fetch client against the running server, type-checked with tsc, and linted with Redocly.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { createAblyAuthClient, fetchAblyJwt, fetchEmbeddedToken, fetchTokenDetails, fetchTokenRequest, fetchVerificationKeys, login, logout } from '../lib/api-client.js';
import { EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { tokenRequestMac } from '../lib/fake-ably-rest.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import {
  GENERATED_TYPES,
  SERVED_DOCUMENT_PATH,
  SUITE_DIR,
  documentForClients,
  generateTypes,
  lint,
  typecheck,
} from '../lib/openapi-document.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();

describe('OpenAPI document and a client generated from it', () => {
  let document;
  before(async () => {
    document = await documentForClients(baseUrl);
  });

  test(`GET ${SERVED_DOCUMENT_PATH} serves an OpenAPI 3 document with the contract's operations`, async (t) => {
    const response = await fetch(new URL(SERVED_DOCUMENT_PATH, baseUrl), { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^application\/json/);
    const served = await response.json();

    assert.match(served.openapi, /^3\./);
    assert.deepEqual(
      Object.entries(served.paths).flatMap(([route, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${route}`)).sort(),
      [
        'GET /.well-known/jwks.json',
        'GET /.well-known/openid-configuration',
        'GET /ably/embedded-token',
        'GET /ably/token',
        'GET /ably/token-details',
        'GET /ably/token-request',
        'POST /ably/embedded-token',
        'POST /ably/token',
        'POST /ably/token-details',
        'POST /ably/token-request',
        'POST /auth/login',
        'POST /auth/logout',
      ],
    );
    assert.deepEqual(Object.keys(served.paths['/ably/token'].get.responses['200'].content), ['application/jwt']);
    if (document.source === 'served') {
      t.diagnostic('openapi/v1.json is not committed yet: types and lint use the served document (generated/served-v1.json)');
    }
  });

  test('openapi-typescript generates types from the document', async () => {
    const result = await generateTypes(document.path);

    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    const types = await readFile(GENERATED_TYPES, 'utf8');
    for (const route of ['/auth/login', '/auth/logout', '/ably/token', '/ably/token-request', '/ably/token-details', '/ably/embedded-token', '/.well-known/jwks.json']) {
      assert.ok(types.includes(`"${route}": {`), `generated types declare ${route}`);
    }
  });

  test('the typed client logs in and fetches a JWT and a TokenRequest, and is told Ably Tokens are off', async () => {
    const client = createAblyAuthClient(baseUrl);

    const session = await login(client, USERS.member);
    const jwt = await fetchAblyJwt(client, session.sessionToken);
    const narrowedJwt = await fetchAblyJwt(client, session.sessionToken, { capability: { 'chat:lobby': ['subscribe'] }, ttl: 60_000 });
    const tokenRequest = await fetchTokenRequest(client, session.sessionToken);
    const narrowedRequest = await fetchTokenRequest(client, session.sessionToken, { ttl: 120_000 });

    assert.equal(session.clientId, USERS.member.clientId);
    assert.ok(Date.parse(session.expiresAt) > Date.now());
    const { claims } = await verifyAblyJwt(jwt);
    assert.equal(claims['x-ably-capability'], EXPECTED_CAPABILITY.member);
    const narrowed = (await verifyAblyJwt(narrowedJwt)).claims;
    assert.equal(narrowed['x-ably-capability'], '{"chat:lobby":["subscribe"]}');
    assert.equal(narrowed.exp - narrowed.iat, 60);
    assert.equal(tokenRequest.keyName, TEST_KEY.name);
    assert.equal(tokenRequest.mac, tokenRequestMac(tokenRequest, TEST_KEY.secret));
    assert.equal(narrowedRequest.ttl, 120_000);
    assert.equal(narrowedRequest.mac, tokenRequestMac(narrowedRequest, TEST_KEY.secret));

    // The shared server runs the default configuration: Ably Tokens are off, and the problem's detail says so.
    await assert.rejects(fetchTokenDetails(client, session.sessionToken), /answered 404 .*Ably:AblyTokens/);

    assert.equal(await logout(client, session.sessionToken), true);
    await assert.rejects(fetchAblyJwt(client, session.sessionToken), /answered 401/);
  });

  test('the typed client fetches an embedded token and the discovery document and key set that verify it', async () => {
    const client = createAblyAuthClient(baseUrl);
    const session = await login(client, USERS.member);

    const token = await fetchEmbeddedToken(client, session.sessionToken, { ttl: 60_000 });
    const { discovery, keySet } = await fetchVerificationKeys(client);

    assert.equal(discovery.issuer, baseUrl);
    assert.equal(discovery.jwks_uri, `${baseUrl}/.well-known/jwks.json`);
    const { kid } = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    assert.ok(keySet.keys.some((key) => key.kid === kid && key.kty === 'EC' && key.crv === 'P-256'));
  });

  test('tsc --noEmit accepts the client module against the generated types', async () => {
    const result = await typecheck('tsconfig.json');

    assert.equal(result.code, 0, `tsc reported:\n${result.stdout}${result.stderr}`);
  });

  test('tsc rejects misuse of the generated client (negative control: the types are real)', async () => {
    const fixture = path.join(SUITE_DIR, 'test/fixtures/api-client-misuse.js');
    const misuseLines = (await readFile(fixture, 'utf8'))
      .split('\n')
      .flatMap((line, index) => (line.includes('// misuse:') ? [index + 1] : []));

    const result = await typecheck('test/fixtures/tsconfig.misuse.json');

    assert.notEqual(result.code, 0);
    for (const line of misuseLines) {
      assert.match(result.stdout, new RegExp(`api-client-misuse\\.js\\(${line},\\d+\\): error TS`), `tsc flags line ${line}`);
    }
  });

  test('npx @redocly/cli lint passes the recommended ruleset', async (t) => {
    const result = await lint(document.path);

    const report = JSON.parse(result.stdout);
    for (const problem of report.problems) {
      const where = problem.location?.map((location) => location.pointer).join(', ');
      t.diagnostic(`${problem.severity} ${problem.ruleId}: ${problem.message} at ${where}`);
    }
    assert.equal(report.totals.errors, 0, `${report.totals.errors} lint errors (listed above)`);
    assert.equal(result.code, 0, result.stderr);
  });
});
