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
  // The document marks every LoginResponse property required, so the generated type has no optional fields.
  const { sessionToken, expiresAt, clientId } = result.data;
  return { sessionToken, expiresAt, clientId };
}

/**
 * The token params as the document types them: query parameters for GET, a JSON body for POST (ttl a number).
 * @param {TokenParams | undefined} params
 * @returns {Schemas['TokenParams']}
 */
function tokenParameters(params) {
  return {
    clientId: params?.clientId ?? null,
    capability: params?.capability ? JSON.stringify(params.capability) : null,
    ttl: params?.ttl ?? null,
  };
}

/**
 * Drops absent values, so a GET sends only the parameters that were asked for.
 * @param {Schemas['TokenParams']} parameters
 */
function queryOf({ clientId, capability, ttl }) {
  return {
    ...(clientId === null || clientId === undefined ? {} : { clientId }),
    ...(capability === null || capability === undefined ? {} : { capability }),
    ...(ttl === null || ttl === undefined ? {} : { ttl }),
  };
}

/**
 * An Ably JWT for the session: GET /ably/token with the params in the query string, as ably-js sends them.
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 * @param {TokenParams} [params]
 * @returns {Promise<string>}
 */
export async function fetchAblyJwt(client, sessionToken, params) {
  const result = await client.GET('/ably/token', {
    params: { query: queryOf(tokenParameters(params)) },
    headers: bearer(sessionToken),
    parseAs: 'text',
  });
  if (result.data === undefined) {
    throw failure(result, '/ably/token');
  }
  return result.data;
}

/**
 * A signed TokenRequest for the session: POST /ably/token-request with the params as a JSON body.
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 * @param {TokenParams} [params]
 * @returns {Promise<Schemas['TokenRequest']>}
 */
export async function fetchTokenRequest(client, sessionToken, params) {
  const result = await client.POST('/ably/token-request', { body: tokenParameters(params), headers: bearer(sessionToken) });
  if (!result.data) {
    throw failure(result, '/ably/token-request');
  }
  return result.data;
}

/**
 * An embedded token for the session: GET /ably/embedded-token (the feature must be on).
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 * @param {TokenParams} [params]
 * @returns {Promise<string>}
 */
export async function fetchEmbeddedToken(client, sessionToken, params) {
  const result = await client.GET('/ably/embedded-token', {
    params: { query: queryOf(tokenParameters(params)) },
    headers: bearer(sessionToken),
    parseAs: 'text',
  });
  if (result.data === undefined) {
    throw failure(result, '/ably/embedded-token');
  }
  return result.data;
}

/**
 * An Ably Token the server obtained from Ably for the session: POST /ably/token-details with the params as a JSON body.
 * @param {AblyAuthClient} client
 * @param {string} sessionToken
 * @param {TokenParams} [params]
 * @returns {Promise<Schemas['TokenDetails']>}
 */
export async function fetchTokenDetails(client, sessionToken, params) {
  const result = await client.POST('/ably/token-details', { body: tokenParameters(params), headers: bearer(sessionToken) });
  if (!result.data) {
    throw failure(result, '/ably/token-details');
  }
  return result.data;
}

/**
 * The discovery document and the key set it names, as typed by the document (anonymous, no credentials).
 * @param {AblyAuthClient} client
 * @returns {Promise<{ discovery: Schemas['OpenIdConfiguration'], keySet: Schemas['PublicJsonWebKeySet'] }>}
 */
export async function fetchVerificationKeys(client) {
  const discovery = await client.GET('/.well-known/openid-configuration');
  if (!discovery.data) {
    throw failure(discovery, '/.well-known/openid-configuration');
  }
  const keySet = await client.GET('/.well-known/jwks.json');
  if (!keySet.data) {
    throw failure(keySet, '/.well-known/jwks.json');
  }
  return { discovery: discovery.data, keySet: keySet.data };
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
