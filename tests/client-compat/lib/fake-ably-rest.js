// A local stand-in for Ably's REST host, enough for ably-js `Rest` to publish with a token from this server:
//   POST /channels/{name}/messages      checks the Bearer token (a JWT verified with the key secret via jose, or a
//                                       token this stand-in issued) and that its capability allows publish there.
//   POST /keys/{keyName}/requestToken   checks a TokenRequest's MAC (recomputed here with node:crypto) and issues
//                                       a token, as Ably does when a client exchanges a TokenRequest.
// Errors use Ably's wire shape ({ error: { message, code, statusCode } }, application/json) so ably-js reports them.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { TEST_KEY } from './config.js';
import { capabilityAllows, verifyAblyJwt } from './jwt.js';

const MAX_BODY_BYTES = 256 * 1024;
const MAX_CLOCK_SKEW_MS = 2 * 60_000;
const DEFAULT_TOKEN_TTL_MS = 60 * 60_000;

class AblyError extends Error {
  constructor(statusCode, code, message) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

/** MAC of a TokenRequest, computed from the spec (RSA9) independently of ably-js and the server. */
export function tokenRequestMac({ keyName, ttl, capability, clientId, timestamp, nonce }, secret) {
  const signText = [keyName, ttl ?? '', capability ?? '', clientId ?? '', timestamp, nonce].join('\n') + '\n';
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(signText, 'utf8').digest('base64');
}

/**
 * Starts the stand-in on 127.0.0.1 and a random port.
 * @returns {Promise<{ port: number, publishes: object[], tokenExchanges: object[], rejections: object[], close: () => Promise<void> }>}
 */
export async function startFakeAblyRest() {
  const publishes = [];
  const tokenExchanges = [];
  const rejections = [];
  const issuedTokens = new Map();
  const seenNonces = new Set();

  async function tokenFromAuthorization(header) {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (!match) {
      throw new AblyError(401, 40101, `Expected "Authorization: Bearer <base64 token>", got ${header ?? 'nothing'}`);
    }
    const token = Buffer.from(match[1], 'base64').toString('utf8');
    if (token.split('.').length === 3) {
      try {
        const { header: jwtHeader, claims } = await verifyAblyJwt(token);
        return { kind: 'jwt', token, header: jwtHeader, claims, capability: claims['x-ably-capability'], clientId: claims['x-ably-clientId'] };
      } catch (error) {
        throw new AblyError(401, 40144, `JWT rejected: ${error.message}`);
      }
    }
    const issued = issuedTokens.get(token);
    if (!issued || issued.expires < Date.now()) {
      throw new AblyError(401, 40140, 'Unknown or expired token');
    }
    return { kind: 'ably-token', token, ...issued };
  }

  async function publish(request, channel) {
    const auth = await tokenFromAuthorization(request.headers.authorization);
    if (!capabilityAllows(auth.capability, channel, 'publish')) {
      throw new AblyError(403, 40160, `Token capability ${auth.capability} does not allow publish on ${channel}`);
    }
    const body = JSON.parse(await readBody(request));
    const messages = Array.isArray(body) ? body : [body];
    publishes.push({ channel, auth, messages, headers: request.headers });
    // What Ably answers to a REST publish; ably-js drops `channel` and `messageId` and returns the rest.
    return { status: 201, body: { channel, messageId: randomBytes(6).toString('hex'), serials: messages.map((_, i) => `serial-${publishes.length}-${i}`) } };
  }

  async function requestToken(request, keyName) {
    const tokenRequest = JSON.parse(await readBody(request));
    if (keyName !== TEST_KEY.name || tokenRequest.keyName !== TEST_KEY.name) {
      throw new AblyError(404, 40400, `No such key ${keyName}`);
    }
    const expected = Buffer.from(tokenRequestMac(tokenRequest, TEST_KEY.secret));
    const actual = Buffer.from(String(tokenRequest.mac ?? ''));
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw new AblyError(401, 40101, 'TokenRequest MAC does not match');
    }
    if (Math.abs(Date.now() - Number(tokenRequest.timestamp)) > MAX_CLOCK_SKEW_MS) {
      throw new AblyError(401, 40104, 'TokenRequest timestamp is outside the allowed window');
    }
    if (seenNonces.has(tokenRequest.nonce)) {
      throw new AblyError(401, 40101, 'TokenRequest nonce was already used');
    }
    seenNonces.add(tokenRequest.nonce);

    const issued = Date.now();
    const details = {
      token: `standin-${randomBytes(12).toString('hex')}`,
      keyName: tokenRequest.keyName,
      issued,
      expires: issued + (Number(tokenRequest.ttl) || DEFAULT_TOKEN_TTL_MS),
      capability: tokenRequest.capability,
      clientId: tokenRequest.clientId,
    };
    issuedTokens.set(details.token, { capability: details.capability, clientId: details.clientId, expires: details.expires });
    tokenExchanges.push({ tokenRequest, details });
    return { status: 200, body: details };
  }

  async function route(request) {
    const url = new URL(request.url, 'http://stand-in');
    const publishPath = /^\/channels\/([^/]+)\/messages$/.exec(url.pathname);
    if (request.method === 'POST' && publishPath) {
      return publish(request, decodeURIComponent(publishPath[1]));
    }
    const tokenPath = /^\/keys\/([^/]+)\/requestToken$/.exec(url.pathname);
    if (request.method === 'POST' && tokenPath) {
      return requestToken(request, decodeURIComponent(tokenPath[1]));
    }
    throw new AblyError(404, 40400, `The stand-in does not serve ${request.method} ${url.pathname}`);
  }

  const server = createServer(async (request, response) => {
    let result;
    try {
      result = await route(request);
    } catch (error) {
      const ablyError = error instanceof AblyError ? error : new AblyError(500, 50000, String(error?.message ?? error));
      rejections.push({ method: request.method, url: request.url, statusCode: ablyError.statusCode, code: ablyError.code, message: ablyError.message });
      result = { status: ablyError.statusCode, body: { error: { message: ablyError.message, code: ablyError.code, statusCode: ablyError.statusCode } } };
    }
    response.writeHead(result.status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(result.body));
  });
  server.keepAliveTimeout = 1_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  return {
    port: server.address().port,
    publishes,
    tokenExchanges,
    rejections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new AblyError(413, 40009, 'Request body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
