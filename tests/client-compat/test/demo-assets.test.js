// How /demo and its assets are served: from the app, under a strict CSP, and with the vendored ably-js that the
// suite pins (so bumping the npm version without re-vendoring fails here).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, test } from 'node:test';
import { startServer } from '../lib/server-process.js';
import { useServer } from '../lib/suite-server.js';

const { baseUrl } = await useServer();
const require = createRequire(import.meta.url);
// ably's exports map hides package.json; its main entry is build/ably-node.js.
const ablyPackageDir = path.resolve(path.dirname(require.resolve('ably')), '..');

const get = (pathname) => fetch(new URL(pathname, baseUrl), { signal: AbortSignal.timeout(10_000) });

describe('/demo assets', () => {
  test('GET /demo is the page, with a CSP that allows no inline script or style', async () => {
    const response = await get('/demo');

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/html/);
    const csp = response.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline <script>');
    assert.doesNotMatch(html, /\s(on[a-z]+|style)=/i, 'no inline handlers or style attributes');
    assert.doesNotMatch(html, /https?:\/\//i, 'no third-party (CDN) URLs');
  });

  test('the vendored ably.min.js is byte-identical to the pinned npm ably build', async () => {
    const response = await get('/demo/vendor/ably.min.js');

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /javascript/);
    const served = Buffer.from(await response.arrayBuffer());
    const pinned = await readFile(path.join(ablyPackageDir, 'build/ably.min.js'));
    const { version } = JSON.parse(await readFile(path.join(ablyPackageDir, 'package.json'), 'utf8'));
    assert.ok(served.equals(pinned), `Demo/wwwroot/vendor/ably.min.js is not ably ${version}'s build/ably.min.js`);
  });

  test("ably-js's licence is served next to it", async () => {
    const response = await get('/demo/vendor/LICENSE');

    assert.equal(response.status, 200);
    assert.match(await response.text(), /Apache License/);
  });

  test('the page script and stylesheet are served with their types', async () => {
    for (const [asset, type] of [['/demo/demo.js', /javascript/], ['/demo/demo.css', /^text\/css/]]) {
      const response = await get(asset);
      assert.equal(response.status, 200, asset);
      assert.match(response.headers.get('content-type'), type, asset);
    }
  });

  test('anything else under /demo is a 404', async () => {
    for (const asset of ['/demo/nope.js', '/demo/../appsettings.json', '/demo/vendor/', '/demo/DemoEndpoints.cs']) {
      const response = await get(asset);
      assert.equal(response.status, 404, asset);
    }
  });
});

describe('/demo off by default', () => {
  test('without Demo:Enabled the routes do not exist (404), so production never serves the page', async () => {
    const server = await startServer({ extraEnv: { Demo__Enabled: null }, seedUsers: false });
    try {
      for (const asset of ['/demo', '/demo/demo.js', '/demo/vendor/ably.min.js']) {
        const response = await fetch(new URL(asset, server.baseUrl), { signal: AbortSignal.timeout(10_000) });
        assert.equal(response.status, 404, asset);
      }
    } finally {
      await server.stop();
    }
  });
});
