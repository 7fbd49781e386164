// A local stand-in for Ably's REST host (Ably's cloud is out of reach here) that checks what Ably checks, with the same
// rules as the xunit suite's AblyRestStandIn. It serves, for one or more keys `appId.keyId:secret`:
//   POST /keys/{keyName}/revokeTokens   Basic auth with that same key (Bearer → 401/40162, another valid key → 401/40133,
//                                       wrong secret, unknown key or none → 401/40101); the key must have revocable
//                                       tokens (else 400/40163); `Ably-Agent` required; `Content-Type: application/json`
//                                       body {targets: 1..100 "clientId:|revocationKey:|channel:<value>", issuedBefore?:
//                                       ms within the last hour and not in the future, allowReauthMargin?: bool}, else
//                                       400/40003 naming the parameter. 201 with {successCount, failureCount, results:
//                                       [{target, issuedBefore, appliesAt}]} when X-Ably-Version >= 3, else the legacy
//                                       plain array; appliesAt = issuedBefore (+30 s with allowReauthMargin).
//   POST /keys/{keyName}/requestToken   a signed TokenRequest: MAC recomputed here (spec RSA9, constant-time compare;
//                                       mismatch or key mismatch → 401/40101), timestamp within 2 min (401/40104), nonce
//                                       >= 16 chars and unused (401/40105), ttl <= 24 h and <= 1 h for revocable keys,
//                                       capability a JSON string of {resource: [ops...]} (400/40003). 200 TokenDetails
//                                       {token, keyName, issued, expires, capability, clientId}; the capability is the
//                                       request's intersected with the key's (a key may name one), and nothing left of
//                                       it is 401/40160.
//   GET  /time                          [ms] on the stand-in's clock (real clock + offset), which every check uses.
//   POST /channels/{name}/messages      checks the Bearer token (a JWT verified with its key's secret via jose, or a token
//                                       this stand-in issued) is current, not revoked (401/40141) and allows publish there
//                                       (403/40160); records the messages. The embedded form is accepted as Ably does:
//                                       a JWT carrying an Ably JWT or Ably Token as `x-ably-token` in its JOSE header (or,
//                                       failing that, its payload), whose own signature is NOT checked; the embedded token
//                                       is verified as above and must not expire before the outer `exp` (else 401/40144,
//                                       an assumed code). Its record's auth has kind 'embedded', `embedded.kind`, `outer`.
// Every error is Ably's wire shape: exactly `application/json`, {error: {message, code, statusCode, href}}, and the
// X-Ably-ErrorCode / X-Ably-ErrorMessage headers. No key secret is ever logged, recorded or echoed.
//
// startFakeAblyRest({ keys = [TEST_KEY.full | { key, revocableTokens?, capability? }], revocableTokens = true })
// → Promise of an object with:
//   port, baseUrl                          where it listens (127.0.0.1, a free port)
//   calls.{revokeTokens,requestToken,time,publish}   accepted calls, in order (arrays, cleared in place by reset())
//   publishes, tokenExchanges              the same arrays as calls.publish and calls.requestToken
//   rejections                             every error answered: {endpoint, method, url, statusCode, code, message, injected}
//   waitForCalls(endpoint, count, {timeoutMs = 10000})   resolves with a copy once `count` calls are recorded
//   failNext(endpoint, {count = 1, status = 500, code = 50000, message})   the next `count` calls get that error
//   failUntilReset(endpoint, {status = 500, code = 50000, message})        every call gets it until clearFaults()/reset()
//   failTarget(target, {status, code, message})   that revokeTokens target fails while the others succeed
//   delay(ms, endpoint?)                   answer late (every endpoint when none is named)
//   hang(endpoint?)                        never answer until clearFaults()/reset()/close(); held requests then carry on
//   clearFaults()                          ends failures, failing targets, delays and hangs
//   setClockOffset(ms), clockOffset, now() the stand-in's clock = Date.now() + offset
//   addKey(key, {revocableTokens = true, capability}), removeKey(keyName), setRevocableTokens(keyName, enabled),
//   setKeyCapability(keyName, capability), keys()   a key's capability is a JSON string; none means every operation on
//                                       every resource (KEY_CAPABILITY)
//   reset()                                back to how it started: keys, clock, no faults, no calls, no nonces seen
//   close()
// Endpoint names: 'revokeTokens', 'requestToken', 'time', 'publish'. ably-js must use `useBinaryProtocol: false`:
// the stand-in reads JSON only.
import { EventEmitter } from 'node:events';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { TEST_KEY } from './config.js';
import { capabilityAllows } from './jwt.js';

export const ENDPOINTS = Object.freeze(['revokeTokens', 'requestToken', 'time', 'publish']);

export const LIMITS = Object.freeze({
  maxTargets: 100,
  minNonceLength: 16,
  tokenRequestWindowMs: 2 * 60_000,
  issuedBeforeMaxAgeMs: 60 * 60_000,
  // Ably's tolerance is not documented; 2 s covers a caller reading Ably's clock and a request in flight, and still
  // refuses a caller minting on a clock seconds ahead.
  issuedBeforeFutureToleranceMs: 2_000,
  reauthMarginMs: 30_000,
  defaultTokenTtlMs: 60 * 60_000,
  maxTokenTtlMs: 24 * 60 * 60_000,
  maxRevocableTokenTtlMs: 60 * 60_000,
});

/**
 * A key's capability unless it names one: Ably supplies the key's capability to a TokenRequest that names none.
 */
export const KEY_CAPABILITY = '{"[*]*":["*"]}';

const MAX_BODY_BYTES = 256 * 1024;
const TARGET_TYPES = new Set(['clientId', 'revocationKey', 'channel']);
const INTERNAL_ERROR = Object.freeze({ status: 500, code: 50000, message: 'Internal error (injected by the stand-in)' });

class AblyError extends Error {
  constructor(statusCode, code, message, { injected = false } = {}) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
    this.injected = injected;
  }
}

/** Ably's "invalid parameter" (400, 40003); the message names the parameter. */
const invalidParameter = (message) => new AblyError(400, 40003, message);

/** MAC of a TokenRequest, computed from the spec (RSA9) independently of ably-js and the server. */
export function tokenRequestMac({ keyName, ttl, capability, clientId, timestamp, nonce }, secret) {
  const signText = [keyName, ttl ?? '', capability ?? '', clientId ?? '', timestamp, nonce].join('\n') + '\n';
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(signText, 'utf8').digest('base64');
}

/** `appId.keyId:secret` (or `{ key, revocableTokens, capability }`) → { name, secret, revocableTokens, capability }. */
function parseKey(key, revocableTokens = true, capability = null) {
  if (typeof key === 'object' && key !== null) {
    return parseKey(key.key, key.revocableTokens ?? revocableTokens, key.capability ?? capability);
  }
  const match = /^([^.:]+\.[^.:]+):(.+)$/.exec(String(key));
  if (!match) {
    // Not the key itself: the message would then carry the secret.
    throw new Error('An Ably key has the form appId.keyId:secret');
  }
  return { name: match[1], secret: match[2], revocableTokens: Boolean(revocableTokens), capability: capability ?? null };
}

/**
 * What a key with `keyCapability` grants of `requested` (both JSON strings), as canonical JSON, or null when nothing:
 * resource by resource (the narrower of two patterns where one covers the other) and operation by operation (`*` on
 * either side stands for all). Written apart from the server's own intersection, so the two can disagree; it knows
 * `[*]*`, `*`, trailing `:*` and exact names, which is what the tests use.
 */
export function intersectCapabilities(keyCapability, requested) {
  const covers = (pattern, resource) =>
    pattern === resource ||
    pattern === '[*]*' ||
    (pattern === '*' && !resource.startsWith('[')) ||
    (pattern.endsWith(':*') && resource.startsWith(pattern.slice(0, -1)));
  const result = new Map();
  for (const [resource, operations] of Object.entries(JSON.parse(requested))) {
    for (const [keyResource, keyOperations] of Object.entries(JSON.parse(keyCapability))) {
      const common = covers(keyResource, resource) ? resource : covers(resource, keyResource) ? keyResource : null;
      const ops = keyOperations.includes('*')
        ? operations
        : operations.includes('*')
          ? keyOperations
          : operations.filter((op) => keyOperations.includes(op));
      if (common !== null && ops.length > 0) {
        result.set(common, new Set([...(result.get(common) ?? []), ...ops]));
      }
    }
  }
  if (result.size === 0) {
    return null;
  }
  const canonical = {};
  for (const resource of [...result.keys()].sort()) {
    canonical[resource] = [...result.get(resource)].sort();
  }
  return JSON.stringify(canonical);
}

function sameSecret(expected, actual) {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Header values must be visible ASCII; messages can quote the caller's input. */
const headerSafe = (text) => String(text).replace(/[^\x20-\x7e]/g, '?');

const errorBody = ({ statusCode, code, message }) => ({ message, code, statusCode, href: `https://help.ably.io/error/${code}` });

/** Every request header, except a Basic Authorization: that carries the key secret. A Bearer token is kept. */
function recordedHeaders(headers) {
  const { authorization, ...rest } = headers;
  return authorization === undefined || /^Basic /i.test(authorization) ? rest : { ...rest, authorization };
}

/**
 * Starts the stand-in on 127.0.0.1 and a free port.
 * @param {{ keys?: Array<string | { key: string, revocableTokens?: boolean }>, revocableTokens?: boolean }} [options]
 */
export async function startFakeAblyRest({ keys = [TEST_KEY.full], revocableTokens = true } = {}) {
  const initialKeys = keys.map((key) => parseKey(key, revocableTokens));
  const knownKeys = new Map();
  const nonces = new Set();
  const issuedTokens = new Map();
  const revocations = [];
  const calls = { revokeTokens: [], requestToken: [], time: [], publish: [] };
  const rejections = [];
  const recorded = new EventEmitter();
  const failures = new Map();
  const failingTargets = new Map();
  const delays = new Map();
  const hanging = new Set();
  let release = resolvers();
  let clockOffsetMs = 0;

  const now = () => Date.now() + clockOffsetMs;

  function restoreKeys() {
    knownKeys.clear();
    for (const key of initialKeys) {
      knownKeys.set(key.name, { ...key });
    }
  }
  restoreKeys();

  function record(endpoint, entry) {
    calls[endpoint].push(entry);
    recorded.emit('call');
  }

  function releaseHung() {
    release.resolve();
    release = resolvers();
  }

  async function applyControls(endpoint, aborted) {
    if (hanging.has(endpoint)) {
      await Promise.race([release.promise, aborted]);
    }
    const delayMs = delays.get(endpoint) ?? 0;
    if (delayMs > 0) {
      await Promise.race([new Promise((resolve) => setTimeout(resolve, delayMs)), aborted]);
    }
    const failure = failures.get(endpoint);
    if (failure) {
      if (failure.remaining !== null && --failure.remaining <= 0) {
        failures.delete(endpoint);
      }
      const { status, code, message } = failure.error;
      throw new AblyError(status, code, message, { injected: true });
    }
  }

  /** revokeTokens's credential rules: Basic auth, a known key with the right secret, and the path's key. */
  function authenticateWithKey(header, pathKeyName) {
    if (!header) {
      throw new AblyError(401, 40101, 'No credentials: revokeTokens needs Basic auth with the key that issued the tokens');
    }
    if (/^Bearer /i.test(header)) {
      throw new AblyError(401, 40162, 'Token revocation requires Basic auth with an API key; token auth was used');
    }
    const basic = /^Basic (.+)$/i.exec(header);
    const credentials = basic ? Buffer.from(basic[1].trim(), 'base64').toString('utf8') : '';
    const colon = credentials.indexOf(':');
    if (colon <= 0) {
      throw new AblyError(401, 40101, 'Invalid credentials: expected Basic base64(keyName:secret)');
    }
    const key = knownKeys.get(credentials.slice(0, colon));
    if (!key || !sameSecret(key.secret, credentials.slice(colon + 1))) {
      // Never the presented secret, nor which half was wrong.
      throw new AblyError(401, 40101, 'Invalid credentials');
    }
    if (key.name !== pathKeyName) {
      throw new AblyError(
        401,
        40133,
        `Wrong key for token revocation: tokens of ${pathKeyName} can only be revoked with that key, not ${key.name}`,
      );
    }
    return key;
  }

  function parseTargets(body) {
    const targets = body.targets;
    if (!Array.isArray(targets) || targets.length === 0) {
      throw invalidParameter('targets must be a non-empty array of "type:value" strings');
    }
    if (targets.length > LIMITS.maxTargets) {
      throw invalidParameter(`targets holds ${targets.length} entries; at most ${LIMITS.maxTargets} are allowed`);
    }
    targets.forEach((target, index) => {
      const colon = typeof target === 'string' ? target.indexOf(':') : -1;
      if (colon <= 0 || colon === target.length - 1 || !TARGET_TYPES.has(target.slice(0, colon))) {
        throw invalidParameter(
          `targets[${index}] must be "type:value" with type clientId, revocationKey or channel; got ${JSON.stringify(target)}`,
        );
      }
    });
    return [...targets];
  }

  async function revokeTokens(request, pathKeyName) {
    const key = authenticateWithKey(request.headers.authorization, pathKeyName);
    if (!key.revocableTokens) {
      // Ably's HTTP status for 40163 is not written down anywhere this project has; 400 is an assumption.
      throw new AblyError(400, 40163, 'Revocable tokens are not enabled for this key');
    }
    // Ably itself only records Ably-Agent; the stand-in insists on it so a client that forgets it is caught here.
    const ablyAgent = request.headers['ably-agent'] ?? '';
    if (!ablyAgent.trim()) {
      throw invalidParameter('Ably-Agent header is required (a non-empty agent string)');
    }
    const ablyVersion = request.headers['x-ably-version'] ?? '';
    let version = null;
    if (ablyVersion !== '') {
      version = /^\s*[0-9]+(\.[0-9]+)?\s*$/.test(ablyVersion) ? Number(ablyVersion) : NaN;
      if (Number.isNaN(version)) {
        throw invalidParameter('X-Ably-Version must be a number');
      }
    }

    const body = await readJson(request);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw invalidParameter('The body must be a JSON object {targets, issuedBefore?, allowReauthMargin?}');
    }
    const targets = parseTargets(body);
    const nowMs = now();
    let issuedBeforeSent = null;
    if (body.issuedBefore !== undefined && body.issuedBefore !== null) {
      if (!Number.isSafeInteger(body.issuedBefore)) {
        throw invalidParameter('issuedBefore must be an integer number of milliseconds since the epoch');
      }
      issuedBeforeSent = body.issuedBefore;
      if (issuedBeforeSent > nowMs + LIMITS.issuedBeforeFutureToleranceMs) {
        throw invalidParameter(`issuedBefore (${issuedBeforeSent}) is in the future (now ${nowMs})`);
      }
      if (issuedBeforeSent < nowMs - LIMITS.issuedBeforeMaxAgeMs) {
        throw invalidParameter(`issuedBefore (${issuedBeforeSent}) is more than an hour in the past (now ${nowMs})`);
      }
    }
    let allowReauthMargin = false;
    if (body.allowReauthMargin !== undefined && body.allowReauthMargin !== null) {
      if (typeof body.allowReauthMargin !== 'boolean') {
        throw invalidParameter('allowReauthMargin must be true or false');
      }
      allowReauthMargin = body.allowReauthMargin;
    }

    const issuedBefore = issuedBeforeSent ?? nowMs;
    const appliesAt = issuedBefore + (allowReauthMargin ? LIMITS.reauthMarginMs : 0);
    const results = targets.map((target) => {
      const error = failingTargets.get(target);
      return error ? { target, error: errorBody(error) } : { target, issuedBefore, appliesAt };
    });
    const failureCount = results.filter((result) => result.error).length;
    for (const target of targets.filter((t) => !failingTargets.has(t))) {
      revocations.push({ keyName: key.name, target, issuedBefore, appliesAt });
    }

    let response;
    if (version !== null && version >= 3) {
      response = { status: 201, body: { successCount: targets.length - failureCount, failureCount, results } };
    } else if (failureCount > 0) {
      // The legacy form reports a partial failure as a 400 carrying the per-target results (code assumed: 40020,
      // Ably's batch error). The call still counts as accepted: the other targets were revoked.
      const error = { statusCode: 400, code: 40020, message: `${failureCount} of ${targets.length} targets failed` };
      response = { status: 400, body: { error: errorBody(error), batchResponse: results }, error };
    } else {
      response = { status: 201, body: results };
    }
    record('revokeTokens', {
      keyName: key.name,
      targets,
      issuedBeforeSent,
      issuedBefore,
      allowReauthMargin,
      ablyVersion: ablyVersion === '' ? null : ablyVersion,
      ablyAgent,
      headers: recordedHeaders(request.headers),
      at: now(),
      response: response.body,
    });
    return response;
  }

  function validateCapability(capability) {
    const shape = 'capability must be a JSON string of an object mapping resources to non-empty arrays of operations';
    let parsed;
    try {
      parsed = JSON.parse(capability);
    } catch {
      throw invalidParameter(`${shape}; it is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
      throw invalidParameter(shape);
    }
    for (const [resource, operations] of Object.entries(parsed)) {
      const valid =
        resource.length > 0 &&
        Array.isArray(operations) &&
        operations.length > 0 &&
        operations.every((op) => typeof op === 'string' && op.length > 0);
      if (!valid) {
        throw invalidParameter(`${shape}; resource "${resource}" is not`);
      }
    }
  }

  async function requestToken(request, pathKeyName) {
    const tokenRequest = await readJson(request);
    if (typeof tokenRequest !== 'object' || tokenRequest === null || Array.isArray(tokenRequest)) {
      throw invalidParameter('The body must be a TokenRequest JSON object');
    }
    const field = (name, type) => {
      const value = tokenRequest[name];
      if (value === undefined || value === null) {
        return undefined;
      }
      if (type === 'integer' ? !Number.isSafeInteger(value) : typeof value !== 'string') {
        throw invalidParameter(type === 'integer' ? `${name} must be an integer number of milliseconds` : `${name} must be a string`);
      }
      return value;
    };
    const keyName = field('keyName', 'string');
    const clientId = field('clientId', 'string');
    const capability = field('capability', 'string');
    const ttl = field('ttl', 'integer');
    const timestamp = field('timestamp', 'integer');
    const nonce = field('nonce', 'string');
    const mac = field('mac', 'string');
    if (keyName === undefined) throw invalidParameter('keyName is required');
    if (timestamp === undefined) throw invalidParameter('timestamp is required (ms since the epoch)');
    if (nonce === undefined) throw invalidParameter('nonce is required');
    if (mac === undefined) {
      throw new AblyError(401, 40101, 'The TokenRequest has no mac; the stand-in only exchanges signed TokenRequests');
    }
    // The path and the body must name the same key: a MAC made with one key is no credential for another.
    if (keyName !== pathKeyName) {
      throw new AblyError(401, 40101, `Invalid credentials: the TokenRequest is for ${keyName}, the path names ${pathKeyName}`);
    }
    const key = knownKeys.get(keyName);
    if (!key) {
      throw new AblyError(401, 40101, `Invalid credentials: no key ${keyName}`);
    }
    if (!sameSecret(tokenRequestMac({ keyName, ttl, capability, clientId, timestamp, nonce }, key.secret), mac)) {
      throw new AblyError(401, 40101, 'Request mac does not match');
    }
    const nowMs = now();
    if (Math.abs(nowMs - timestamp) > LIMITS.tokenRequestWindowMs) {
      throw new AblyError(401, 40104, `Timestamp not current: ${timestamp} is more than 2 minutes from ${nowMs}`);
    }
    if (nonce.length < LIMITS.minNonceLength) {
      throw new AblyError(401, 40105, `Nonce value too short: at least ${LIMITS.minNonceLength} characters, got ${nonce.length}`);
    }
    // A TokenRequest that passed the MAC and clock checks is spent, whatever happens next, as a retry must be re-signed.
    if (nonces.has(`${keyName}\n${nonce}`)) {
      throw new AblyError(401, 40105, 'Nonce value replayed');
    }
    nonces.add(`${keyName}\n${nonce}`);
    const maxTtl = key.revocableTokens ? LIMITS.maxRevocableTokenTtlMs : LIMITS.maxTokenTtlMs;
    if (ttl !== undefined && (ttl <= 0 || ttl > maxTtl)) {
      throw invalidParameter(
        key.revocableTokens
          ? `ttl ${ttl} ms is outside 1..${maxTtl}: tokens of a key with revocable tokens live at most 1 hour`
          : `ttl ${ttl} ms is outside 1..${maxTtl}: tokens live at most 24 hours`,
      );
    }
    if (capability !== undefined) {
      validateCapability(capability);
    }
    // A key with every capability leaves the request's text as it came; a narrower key gives the intersection.
    let issuedCapability = capability ?? key.capability ?? KEY_CAPABILITY;
    if (capability !== undefined && key.capability) {
      issuedCapability = intersectCapabilities(key.capability, capability);
      if (issuedCapability === null) {
        throw new AblyError(401, 40160, 'Unable to issue token: the requested capability is not permitted by the key');
      }
    }

    const details = {
      token: `standin-${randomBytes(12).toString('hex')}`,
      keyName,
      issued: nowMs,
      expires: nowMs + (ttl ?? LIMITS.defaultTokenTtlMs),
      capability: issuedCapability,
      clientId,
    };
    issuedTokens.set(details.token, details);
    record('requestToken', { keyName, tokenRequest, details, headers: recordedHeaders(request.headers), at: now() });
    return { status: 200, body: details };
  }

  function time(request) {
    const nowMs = now();
    record('time', { time: nowMs, headers: recordedHeaders(request.headers), at: nowMs });
    return { status: 200, body: [nowMs] };
  }

  /** The token a publish presents, verified as Ably would: signature or issuance, expiry, revocation. */
  async function tokenFromAuthorization(header) {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (!match) {
      throw new AblyError(401, 40101, 'Expected "Authorization: Bearer <base64 token>"');
    }
    const token = Buffer.from(match[1], 'base64').toString('utf8');
    const embedded = token.split('.').length === 3 ? embeddedAblyToken(token) : null;
    const auth = embedded ? await verifyEmbedded(token, embedded) : await verifyAblyToken(token);
    if (auth.key?.revocableTokens && auth.expires - auth.issued > LIMITS.maxRevocableTokenTtlMs) {
      throw invalidParameter('A token of a key with revocable tokens may live at most 1 hour (ttl)');
    }
    if (isRevoked(auth)) {
      throw new AblyError(401, 40141, 'Token revoked');
    }
    const { key, ...withoutKey } = auth;
    return { ...withoutKey, keyName: key?.name };
  }

  /**
   * The Ably token an embedded-token JWT carries: `x-ably-token` in its JOSE header, else (a plain JWS) in its payload;
   * null when it carries none (an Ably JWT itself). Read without verifying anything: Ably does not check the outer token.
   */
  function embeddedAblyToken(token) {
    let header;
    let claims;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch (error) {
      throw new AblyError(401, 40144, `JWT rejected: ${error.message}`);
    }
    const carried = header['x-ably-token'] ?? claims['x-ably-token'];
    if (carried === undefined) {
      return null;
    }
    if (typeof carried !== 'string' || carried.length === 0) {
      throw new AblyError(401, 40144, 'JWT rejected: x-ably-token must be a non-empty string');
    }
    return { header, claims, carried, from: header['x-ably-token'] !== undefined ? 'header' : 'payload' };
  }

  /**
   * The embedded form: the outer signature is not checked (Ably has no key for it); the embedded token is verified as
   * if presented alone, and must not expire before the outer `exp`. The error codes for the embedded-form refusals are
   * not documented by Ably; 40144 (invalid JWT) is an assumption.
   */
  async function verifyEmbedded(token, { header, claims, carried, from }) {
    if (carried.split('.').length === 3 && embeddedAblyToken(carried)) {
      throw new AblyError(401, 40144, 'JWT rejected: an embedded token cannot itself carry x-ably-token');
    }
    const inner = await verifyAblyToken(carried);
    if (claims.exp !== undefined) {
      if (!Number.isFinite(claims.exp)) {
        throw new AblyError(401, 40144, 'JWT rejected: exp must be a number');
      }
      if (inner.expires < claims.exp * 1000) {
        throw new AblyError(
          401,
          40144,
          `JWT rejected: the embedded token expires at ${inner.expires}, before the outer token's exp ${claims.exp * 1000}`,
        );
      }
    }
    return { ...inner, kind: 'embedded', token, embeddedIn: from, embedded: { kind: inner.kind, token: carried }, outer: { header, claims } };
  }

  /** An Ably JWT (HS256 with a known key's secret) or an Ably Token this stand-in issued, checked for expiry. */
  async function verifyAblyToken(token) {
    if (token.split('.').length === 3) {
      let key;
      try {
        key = knownKeys.get(decodeProtectedHeader(token).kid);
        if (!key) {
          throw new Error('kid names no key the stand-in knows');
        }
        const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(key.secret), {
          algorithms: ['HS256'],
          currentDate: new Date(now()),
        });
        return {
          kind: 'jwt',
          token,
          key,
          header: protectedHeader,
          claims: payload,
          capability: payload['x-ably-capability'],
          clientId: payload['x-ably-clientId'],
          revocationKey: payload['x-ably-revocation-key'],
          issued: payload.iat * 1000,
          expires: payload.exp * 1000,
        };
      } catch (error) {
        throw new AblyError(401, 40144, `JWT rejected: ${error.message}`);
      }
    }
    const issued = issuedTokens.get(token);
    if (!issued || issued.expires < now()) {
      throw new AblyError(401, 40140, 'Unknown or expired token');
    }
    return { kind: 'ably-token', token, key: knownKeys.get(issued.keyName), ...issued };
  }

  function isRevoked(auth) {
    const resources = auth.capability ? Object.keys(JSON.parse(auth.capability)) : [];
    return revocations.some(({ keyName, target, issuedBefore, appliesAt }) => {
      if (keyName !== auth.key?.name || auth.issued >= issuedBefore || now() < appliesAt) {
        return false;
      }
      const [type, ...rest] = target.split(':');
      const value = rest.join(':');
      return (
        (type === 'clientId' && auth.clientId === value) ||
        (type === 'revocationKey' && auth.revocationKey === value) ||
        // Ably matches a channel target against the exact resource string in the capability, not channel access.
        (type === 'channel' && resources.includes(value))
      );
    });
  }

  async function publish(request, channel) {
    const auth = await tokenFromAuthorization(request.headers.authorization);
    if (!capabilityAllows(auth.capability, channel, 'publish')) {
      throw new AblyError(403, 40160, `Token capability ${auth.capability} does not allow publish on ${channel}`);
    }
    const body = await readJson(request);
    const messages = Array.isArray(body) ? body : [body];
    record('publish', { channel, auth, messages, headers: recordedHeaders(request.headers), at: now() });
    // What Ably answers to a REST publish; ably-js drops `channel` and `messageId` and returns the rest.
    return {
      status: 201,
      body: { channel, messageId: randomBytes(6).toString('hex'), serials: messages.map((_, i) => `serial-${calls.publish.length}-${i}`) },
    };
  }

  function route(pathname) {
    const keys = /^\/keys\/([^/]+)\/(revokeTokens|requestToken)$/.exec(pathname);
    if (keys) {
      return { endpoint: keys[2], method: 'POST', param: decodeURIComponent(keys[1]) };
    }
    const channel = /^\/channels\/([^/]+)\/messages$/.exec(pathname);
    if (channel) {
      return { endpoint: 'publish', method: 'POST', param: decodeURIComponent(channel[1]) };
    }
    return pathname === '/time' ? { endpoint: 'time', method: 'GET' } : { endpoint: null };
  }

  const handlers = { revokeTokens, requestToken, time: (request) => time(request), publish };

  const server = createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://stand-in');
    const { endpoint, method, param } = route(pathname);
    const aborted = new Promise((_, reject) =>
      response.on('close', () => {
        if (!response.writableFinished) reject(new Error('client went away'));
      }),
    );
    aborted.catch(() => {});
    let result;
    try {
      if (!endpoint) {
        throw new AblyError(404, 40400, `The stand-in does not serve ${pathname}`);
      }
      if (request.method !== method) {
        throw new AblyError(405, 40500, `${pathname} takes ${method}, not ${request.method}`);
      }
      await applyControls(endpoint, aborted);
      result = await handlers[endpoint](request, param);
    } catch (error) {
      if (response.destroyed) {
        // The client gave up (its timeout while the endpoint hung or was delayed): nobody is left to answer.
        return;
      }
      const ablyError = error instanceof AblyError ? error : new AblyError(500, 50000, String(error?.message ?? error));
      rejections.push({
        endpoint,
        method: request.method,
        url: request.url,
        statusCode: ablyError.statusCode,
        code: ablyError.code,
        message: ablyError.message,
        injected: ablyError.injected,
      });
      result = { status: ablyError.statusCode, body: { error: errorBody(ablyError) }, error: ablyError };
    }
    if (response.destroyed) {
      return;
    }
    const headers = { 'content-type': 'application/json' };
    if (result.error) {
      headers['x-ably-errorcode'] = String(result.error.code);
      headers['x-ably-errormessage'] = headerSafe(result.error.message);
    }
    response.writeHead(result.status, headers);
    response.end(JSON.stringify(result.body));
  });
  server.keepAliveTimeout = 1_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  function clearFaults() {
    failures.clear();
    failingTargets.clear();
    delays.clear();
    hanging.clear();
    releaseHung();
  }

  const endpointsOf = (endpoint) => (endpoint ? [checkEndpoint(endpoint)] : ENDPOINTS);

  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    calls,
    publishes: calls.publish,
    tokenExchanges: calls.requestToken,
    rejections,

    waitForCalls(endpoint, count, { timeoutMs = 10_000 } = {}) {
      const log = calls[checkEndpoint(endpoint)];
      return new Promise((resolve, reject) => {
        const check = () => {
          if (log.length >= count) {
            clearTimeout(timer);
            recorded.off('call', check);
            resolve([...log]);
          }
        };
        const timer = setTimeout(() => {
          recorded.off('call', check);
          reject(new Error(`Expected ${count} ${endpoint} call(s) within ${timeoutMs} ms, saw ${log.length}`));
        }, timeoutMs);
        recorded.on('call', check);
        check();
      });
    },

    failNext(endpoint, { count = 1, status = 500, code = 50000, message = INTERNAL_ERROR.message } = {}) {
      failures.set(checkEndpoint(endpoint), { error: { status, code, message }, remaining: count });
    },

    failUntilReset(endpoint, { status = 500, code = 50000, message = INTERNAL_ERROR.message } = {}) {
      failures.set(checkEndpoint(endpoint), { error: { status, code, message }, remaining: null });
    },

    failTarget(target, { status = 400, code = 40121, message = 'Token revocation not enabled for this target' } = {}) {
      failingTargets.set(target, { statusCode: status, code, message });
    },

    delay(ms, endpoint) {
      for (const each of endpointsOf(endpoint)) delays.set(each, ms);
    },

    hang(endpoint) {
      for (const each of endpointsOf(endpoint)) hanging.add(each);
    },

    clearFaults,

    setClockOffset(ms) {
      clockOffsetMs = ms;
    },
    get clockOffset() {
      return clockOffsetMs;
    },
    now,

    addKey(key, { revocableTokens: revocable = true, capability } = {}) {
      const parsed = parseKey(key, revocable, capability);
      knownKeys.set(parsed.name, parsed);
    },
    removeKey(keyName) {
      return knownKeys.delete(keyName);
    },
    setRevocableTokens(keyName, enabled) {
      const key = knownKeys.get(keyName);
      if (!key) throw new Error(`No key ${keyName}`);
      key.revocableTokens = Boolean(enabled);
    },
    setKeyCapability(keyName, capability) {
      const key = knownKeys.get(keyName);
      if (!key) throw new Error(`No key ${keyName}`);
      key.capability = capability ?? null;
    },
    /** Names, flags and capabilities (when a key names one) only: the secrets stay inside. */
    keys() {
      return [...knownKeys.values()].map(({ name, revocableTokens: revocable, capability }) =>
        capability ? { name, revocableTokens: revocable, capability } : { name, revocableTokens: revocable });
    },

    reset() {
      clearFaults();
      clockOffsetMs = 0;
      nonces.clear();
      issuedTokens.clear();
      revocations.length = 0;
      restoreKeys();
      for (const log of Object.values(calls)) log.length = 0;
      rejections.length = 0;
    },

    close: () =>
      new Promise((resolve) => {
        clearFaults();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function checkEndpoint(endpoint) {
  if (!ENDPOINTS.includes(endpoint)) {
    throw new Error(`Unknown endpoint ${endpoint}; one of ${ENDPOINTS.join(', ')}`);
  }
  return endpoint;
}

function resolvers() {
  let resolve;
  const promise = new Promise((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

async function readJson(request) {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new AblyError(400, 40000, `Content-Type must be application/json; got ${request.headers['content-type'] ?? 'none'}`);
  }
  const text = await readBody(request);
  try {
    return JSON.parse(text);
  } catch {
    throw new AblyError(400, 40000, 'The body is not valid JSON');
  }
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
