// @ts-check
// A typed AblyAuthServer client: openapi-fetch over the types openapi-typescript generates from openapi/v1.json.
// Plain JavaScript with JSDoc types so Node runs it as is; `tsc --noEmit` (tsconfig.json) checks it against the
// generated types, so a change to the server's document that breaks this client fails the suite.
import createClient from 'openapi-fetch';

/** @typedef {import('../generated/ably-auth-server.js').paths} Paths */
/** @typedef {import('../generated/ably-auth-server.js').components['schemas']} Schemas */
/** @typedef {import('openapi-fetch').Client<Paths>} AblyAuthClient */
/** @typedef {{ clientId?: string, capability?: Record<string, string[]>, ttl?: number }} TokenParams */

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * @param {string} baseUrl e.g. http://127.0.0.1:5000
 * @returns {AblyAuthClient}
 */
export function createAblyAuthClient(baseUrl) {
  return createClient({
    baseUrl,
    // Every call gets its own deadline, so a stalled server fails a test instead of hanging it.
    fetch: (request) => fetch(request, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
  });
}

/**
 * The document marks no property as required, so every field is optional in the generated types: check at run time.
 * @template T
 * @param {T | null | undefined} value
 * @param {string} what
 * @returns {T}
 */
function present(value, what) {
  if (value === undefined || value === null) {
    throw new Error(`${what} is missing from the response`);
  }
  return value;
}

/**
 * @param {{ response: Response, error?: Schemas['ProblemDetails'] | unknown }} result
 * @param {string} operation
 */
function failure({ response, error }, operation) {
  const detail = error && typeof error === 'object' && 'detail' in error ? error.detail : '';
  return new Error(`${operation} answered ${response.status} ${detail ?? ''}`.trim());
}

/** @param {string} sessionToken */
const bearer = (sessionToken) => ({ Authorization: `Bearer ${sessionToken}` });

/**
 * POST /auth/login with JSON credentials.
 * @param {AblyAuthClient} client
 * @param {{ username: string, password: string }} credentials
 * @returns {Promise<{ sessionToken: string, expiresAt: string, clientId: string }>}
 */
export async function login(client, credentials) {
  const result = await client.POST('/auth/login', { body: credentials });
  if (!result.data) {
    throw failure(result, 'POST /auth/login');
  }
  return {
    sessionToken: present(result.data.sessionToken, 'sessionToken'),
    expiresAt: present(result.data.expiresAt, 'expiresAt'),
    clientId: present(result.data.clientId, 'clientId'),
  };
}

/**
 * The document declares the token params only for POST bodies (its GETs list no query parameters), so narrowing
 * goes through POST with a JSON body; without params a plain GET is enough.
 * @param {TokenParams | undefined} params
 * @returns {Schemas['TokenParameters'] | undefined}
 */
function tokenParametersBody(params) {
  if (!params) {
    return undefined;
  }
  return {
    clientId: params.clientId ?? null,
    capability: params.capability ? JSON.stringify(params.capability) : null,
    ttl: params.ttl === undefined ? null : String(params.ttl),
  };
}

/**
 * An Ably JWT for the session (GET /ably/token, or POST with params).
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 * @param {TokenParams} [params]
 * @returns {Promise<string>}
 */
export async function fetchAblyJwt(client, sessionToken, params) {
  const body = tokenParametersBody(params);
  const result = body
    ? await client.POST('/ably/token', { body, headers: bearer(sessionToken), parseAs: 'text' })
    : await client.GET('/ably/token', { headers: bearer(sessionToken), parseAs: 'text' });
  if (result.data === undefined) {
    throw failure(result, '/ably/token');
  }
  return result.data;
}

/**
 * A signed TokenRequest for the session (GET /ably/token-request, or POST with params).
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 * @param {TokenParams} [params]
 * @returns {Promise<Schemas['TokenRequest']>}
 */
export async function fetchTokenRequest(client, sessionToken, params) {
  const body = tokenParametersBody(params);
  const result = body
    ? await client.POST('/ably/token-request', { body, headers: bearer(sessionToken) })
    : await client.GET('/ably/token-request', { headers: bearer(sessionToken) });
  if (!result.data) {
    throw failure(result, '/ably/token-request');
  }
  return result.data;
}

/**
 * POST /auth/logout; true when the session was ended (204).
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 */
export async function logout(client, sessionToken) {
  const { response } = await client.POST('/auth/logout', { headers: bearer(sessionToken) });
  return response.status === 204;
}
