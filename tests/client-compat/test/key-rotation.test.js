// Rotating the Ably key with a keys file (ABLY_KEYS_FILE), as a mounted secret changes: add the new key, switch the
// signer, remove the old key. At each step jose verifies every JWT against the key its kid names, ably-js publishes
// through the Ably REST stand-in (which holds both keys, as Ably would during the rotation), and nothing fails.
import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { jwtVerify } from 'jose';
import { restWithAuthUrl } from '../lib/ably-clients.js';
import { SECOND_TEST_KEY, TEST_KEY, USERS } from '../lib/config.js';
import { startFakeAblyRest } from '../lib/fake-ably-rest.js';
import { startServer } from '../lib/server-process.js';
import { bearer, login } from '../lib/session.js';

const SECRETS = new Map([
  [TEST_KEY.name, new TextEncoder().encode(TEST_KEY.secret)],
  [SECOND_TEST_KEY.name, new TextEncoder().encode(SECOND_TEST_KEY.secret)],
]);

/** jose with a key resolver: the JWT's kid picks the secret, as Ably picks the key. */
async function verifyByKid(jwt) {
  const { payload, protectedHeader } = await jwtVerify(jwt, (header) => {
    const secret = SECRETS.get(header.kid);
    if (!secret) {
      throw new Error(`no key named ${header.kid}`);
    }
    return secret;
  }, { algorithms: ['HS256'] });
  return { kid: protectedHeader.kid, claims: payload };
}

describe('key rotation through ABLY_KEYS_FILE', () => {
  let workDir;
  let keysFile;
  let ably;
  let server;
  let session;

  /** Replaces the file the way a secret volume does: write aside, rename over. */
  async function writeKeys(...keys) {
    await writeFile(`${keysFile}.new`, `${keys.map((key) => key.full).join('\n')}\n`);
    await rename(`${keysFile}.new`, keysFile);
  }

  async function token() {
    const response = await fetch(`${server.baseUrl}/ably/token`, { headers: bearer(session.sessionToken) });
    assert.equal(response.status, 200, await response.clone().text());
    return response.text();
  }

  /** Asks for tokens until the given key signs one; every token on the way must verify too. */
  async function untilSignedBy(keyName) {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const jwt = await token();
      const { kid } = await verifyByKid(jwt);
      if (kid === keyName) {
        return jwt;
      }
      assert.ok(Date.now() < deadline, `${keyName} never started signing`);
      await delay(200);
    }
  }

  /** ably-js with authUrl publishes through the stand-in; returns the kid the stand-in saw. */
  async function publishWithAblyJs(text) {
    const client = restWithAuthUrl(server.baseUrl, {
      authHeaders: bearer(session.sessionToken),
      restHost: '127.0.0.1',
      port: ably.port,
      tls: false,
      fallbackHosts: [],
      useBinaryProtocol: false,
    });
    await client.channels.get('chat:lobby').publish('step', text);
    return ably.publishes.at(-1).auth.header.kid;
  }

  before(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'ably-keys-'));
    keysFile = path.join(workDir, 'ably-keys');
    await writeKeys(TEST_KEY);
    ably = await startFakeAblyRest({ keys: [TEST_KEY.full, SECOND_TEST_KEY.full] });
    server = await startServer({
      extraEnv: { ABLY_API_KEY: null, ABLY_KEYS_FILE: keysFile, Ably__KeysFileCheckInterval: '00:00:01' },
    });
    session = await login(server.baseUrl, USERS.member);
  });

  after(async () => {
    await server?.stop();
    await ably?.close();
    if (workDir) {
      await rm(workDir, { recursive: true, force: true });
    }
  });

  test('each step keeps every token verifiable by its own key, and ably-js keeps publishing', async () => {
    const before = await token();
    assert.equal((await verifyByKid(before)).kid, TEST_KEY.name);
    assert.equal(await publishWithAblyJs('before'), TEST_KEY.name);

    // 1. Add the new key after the old one: the old one still signs.
    await writeKeys(TEST_KEY, SECOND_TEST_KEY);
    await delay(2_500);
    assert.equal((await verifyByKid(await token())).kid, TEST_KEY.name);

    // 2. Switch the signer: the new key first.
    await writeKeys(SECOND_TEST_KEY, TEST_KEY);
    const switched = await untilSignedBy(SECOND_TEST_KEY.name);
    assert.equal(await publishWithAblyJs('switched'), SECOND_TEST_KEY.name);
    // The old key's token is still valid, and verifies with the old key only.
    assert.equal((await verifyByKid(before)).kid, TEST_KEY.name);
    await assert.rejects(jwtVerify(switched, SECRETS.get(TEST_KEY.name)), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });

    // 4. Remove the old key (step 3, waiting one maximum TTL, is the .NET suite's, on a fake clock).
    await writeKeys(SECOND_TEST_KEY);
    await delay(2_500);
    const after = await token();
    assert.equal((await verifyByKid(after)).kid, SECOND_TEST_KEY.name);
    assert.equal(await publishWithAblyJs('after'), SECOND_TEST_KEY.name);
    assert.match(server.logs(), /Ably keys reloaded from ABLY_KEYS_FILE/);
    assert.doesNotMatch(server.logs(), new RegExp(SECOND_TEST_KEY.secret));
  });
});
