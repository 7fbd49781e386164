// A real browser on /demo: log in through the form, let ably-js in the page fetch a token through authUrl with the
// session cookie, and check what the page shows. Leaves a screenshot in artifacts/demo.png for a human to look at.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { launchBrowser } from '../lib/browser.js';
import { EXPECTED_CAPABILITY, TEST_KEY, USERS } from '../lib/config.js';
import { verifyAblyJwt } from '../lib/jwt.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();
const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');
const UI_TIMEOUT_MS = 15_000;

/** "59:58" or "1:00:00" → seconds. */
function countdownSeconds(text) {
  const parts = text.split(':').map(Number);
  assert.ok(parts.length >= 2 && parts.every(Number.isInteger), `countdown "${text}" is h:mm:ss or mm:ss`);
  return parts.reduce((total, part) => total * 60 + part, 0);
}

describe('the /demo page in headless Chromium', () => {
  let browser;
  let page;
  const problems = [];
  const tokenRequests = [];

  before(async () => {
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A CSP violation means the page relies on inline script or style, which the strict policy forbids.
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/ably/token') tokenRequests.push(request);
    });
  });
  after(() => browser?.close());

  test('a first visit without a session shows the login form', async () => {
    const response = await page.goto(`${baseUrl}/demo`);
    assert.equal(response.status(), 200, 'GET /demo must serve the page: is app.MapDemo() wired and Demo:Enabled true?');

    await page.locator('#login-panel').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#token-panel').isVisible(), false);
    assert.match(await page.locator('#ably-version').textContent(), /^ably-js 2\.\d+\.\d+$/);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-login.png') });
  });

  test('a wrong password shows an error and no token', async () => {
    await page.fill('#username', 'nobody-here');
    await page.fill('#password', 'not a password at all');
    await page.click('#login-submit');

    await page.locator('#login-error').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#login-error').textContent(), 'Wrong username or password.');
    assert.equal(await page.locator('#token-panel').isVisible(), false);
  });

  test('logging in lets ably-js fetch a JWT through authUrl with the cookie, and the page shows its grant', async () => {
    const requestsBefore = tokenRequests.length;
    await page.fill('#username', USERS.member.username);
    await page.fill('#password', USERS.member.password);
    await page.click('#login-submit');

    await page.locator('#token-panel').waitFor({ state: 'visible' });

    assert.equal(await page.locator('#client-id').textContent(), USERS.member.clientId);
    assert.equal(await page.locator('#session-user').textContent(), USERS.member.clientId);
    assert.equal(await page.locator('#kid').textContent(), TEST_KEY.name);

    const rows = await page.locator('#capability tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.querySelector('.resource').textContent, [...tr.querySelectorAll('.op')].map((op) => op.textContent)]),
    );
    assert.deepEqual(rows, Object.entries(JSON.parse(EXPECTED_CAPABILITY.member)));

    // The raw token in the page is the server's JWT and verifies with the key secret.
    const { claims } = await verifyAblyJwt(await page.locator('#jwt-raw').textContent());
    assert.equal(claims['x-ably-clientId'], USERS.member.clientId);
    assert.deepEqual(JSON.parse(await page.locator('#jwt-claims').textContent()), claims);
    assert.equal(JSON.parse(await page.locator('#jwt-header').textContent()).kid, TEST_KEY.name);

    // ably-js made the request itself: same origin, cookie only, its own Accept header and cache-busting rnd.
    const request = tokenRequests.at(-1);
    assert.ok(tokenRequests.length > requestsBefore, 'ably-js requested /ably/token');
    const headers = await request.allHeaders();
    assert.match(headers.cookie ?? '', /ably_session=/);
    assert.equal(headers.authorization, undefined);
    assert.equal(headers.accept, 'application/json, text/plain');
    assert.ok(new URL(request.url()).searchParams.has('rnd'));
    const response = await request.response();
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^application\/jwt/);
  });

  test('the expiry counts down from the token lifetime', async () => {
    const first = countdownSeconds(await page.locator('#countdown').textContent());
    assert.ok(first > 3_500 && first <= 3_600, `countdown starts near one hour, got ${first}s`);

    await page.waitForFunction(
      (start) => {
        const [h, m, s] = document.getElementById('countdown').textContent.split(':').map(Number);
        const seconds = s === undefined ? h * 60 + m : (h * 60 + m) * 60 + s;
        return seconds < start;
      },
      first,
      { timeout: 5_000 },
    );
  });

  test('the snippet shows ably-js pointed at this server', async () => {
    const snippet = await page.locator('#snippet').textContent();
    assert.match(snippet, new RegExp(`authUrl: '${baseUrl}/ably/token'`));
    assert.match(snippet, /new Ably\.Realtime/);
  });

  test('screenshot for a human: artifacts/demo.png', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo.png'), fullPage: true });
  });

  test('a reload keeps the session (the cookie), and logout ends it', async () => {
    await page.reload();
    await page.locator('#token-panel').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#client-id').textContent(), USERS.member.clientId);

    await page.click('#logout');
    await page.locator('#login-panel').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#token-panel').isVisible(), false);

    const status = await page.evaluate(async () => (await fetch('/ably/token')).status);
    assert.equal(status, 401);
  });

  test('no page errors and no Content-Security-Policy violations', () => {
    assert.deepEqual(problems, []);
  });
});
