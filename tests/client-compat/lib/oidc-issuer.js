// A real, OpenID-certified authorization server (oidc-provider) as the external issuer whose access tokens the server
// will exchange for Ably JWTs. Machine clients get JWT access tokens with the client_credentials grant:
//
//   POST {issuer}/token  grant_type=client_credentials & resource={audience}   (client_secret_basic)
//   → RS256 (or ES256) JWS, typ at+jwt, kid in {issuer}/jwks, claims iss, aud = audience, sub, client_id, roles, iat, exp, jti
//
// oidc-provider issues opaque access tokens unless the requested resource indicator resolves to a resource server
// whose accessTokenFormat is 'jwt'; hence resourceIndicators.getResourceServerInfo below. A request without `resource`
// gets an opaque token, as it would from the real thing.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
// Not a public entry point (the package has no exports map; the version is pinned exactly): passing the provider's own
// memory adapter explicitly gives each issuer its own store, where the default shares one per process and warns.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

/** The audience (resource indicator) the server under test will be configured to expect. */
export const DEFAULT_AUDIENCE = 'https://ably-auth.test';

/** The resource server scope the issuer grants; a client may ask for it, nothing depends on it. */
export const RESOURCE_SCOPE = 'ably';

const DEFAULT_TTL_SECONDS = 600;

// The server refuses clientIds that could widen a templated channel (`chat:{clientId}`): the same rule, checked here so
// a test cannot mint a sub the server would reject for reasons unrelated to what the test is about.
const UNSAFE_CLIENT_ID = /[*:[\],\p{Cc}]/u;

function assertClientIdSafe(value, what) {
  if (typeof value !== 'string' || value.length === 0 || value.length > 128 || UNSAFE_CLIENT_ID.test(value)) {
    throw new TypeError(`${what} ${JSON.stringify(value)} would not be a valid Ably clientId (1-128 chars, none of * : [ ] , or controls)`);
  }
}

async function signingJwk(alg, kid) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

/**
 * Starts oidc-provider on 127.0.0.1 and a free port, over http.
 *
 * @param {object} options
 * @param {{ clientId: string, clientSecret: string, roles?: string[], subject?: string }[]} options.clients
 *   Confidential clients allowed the client_credentials grant. `roles` becomes the token's `roles` claim (absent when
 *   undefined, `[]` when empty); `subject` replaces `sub`, which oidc-provider otherwise sets to the clientId.
 * @param {string} [options.audience] The resource indicator whose tokens are JWTs, and their `aud`.
 * @param {string[]} [options.otherAudiences] More resource indicators that also get JWTs: for tokens meant for someone else.
 * @param {'RS256' | 'ES256'} [options.accessTokenAlg] Signing algorithm of access tokens (both keys are in the JWKS).
 * @param {number} [options.accessTokenTtlSeconds]
 * @returns {Promise<{
 *   issuer: string, port: number, audience: string, jwksUri: string, keys: { kid: string, alg: string }[],
 *   accessToken: (clientId: string, options?: { resource?: string | null, scope?: string }) => Promise<string>,
 *   tokenResponse: (clientId: string, options?: { resource?: string | null, scope?: string, clientSecret?: string }) => Promise<{ status: number, body: object }>,
 *   outboundRequests: string[],
 *   close: () => Promise<void>,
 * }>}
 */
export async function startOidcIssuer({
  clients,
  audience = DEFAULT_AUDIENCE,
  otherAudiences = [],
  accessTokenAlg = 'RS256',
  accessTokenTtlSeconds = DEFAULT_TTL_SECONDS,
} = {}) {
  if (!Array.isArray(clients) || clients.length === 0) {
    throw new TypeError('startOidcIssuer needs at least one client');
  }
  for (const client of clients) {
    assertClientIdSafe(client.subject ?? client.clientId, client.subject === undefined ? 'clientId (the token sub)' : 'subject');
  }
  const byClientId = new Map(clients.map((client) => [client.clientId, client]));
  const audiences = new Set([audience, ...otherAudiences]);

  // Listen before the provider exists: its issuer identifier has to name the port the kernel picked.
  let handle = (_request, response) => {
    response.statusCode = 503;
    response.end();
  };
  const server = createServer((request, response) => handle(request, response));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { address, port } = server.address();
  const issuer = `http://${address}:${port}`;

  const jwks = {
    keys: [await signingJwk('RS256', `op-rs256-${port}`), await signingJwk('ES256', `op-es256-${port}`)],
  };
  // oidc-provider fetches only for features this configuration leaves off (remote client JWKS, sector identifiers,
  // client metadata documents). Should one ever be reached, it fails here and is recorded, rather than going out.
  const outboundRequests = [];

  const provider = new Provider(issuer, {
    clients: clients.map(({ clientId, clientSecret }) => ({
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    adapter: createMemoryAdapter(),
    jwks,
    // Stated rather than left to the default, which works but logs a notice on every token.
    ttl: { ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? accessTokenTtlSeconds },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (!audiences.has(resourceIndicator)) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: RESOURCE_SCOPE,
            audience: resourceIndicator,
            accessTokenTTL: accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: accessTokenAlg } },
          };
        },
      },
    },
    // Merged into the JWT payload before the registered claims, so it can add `roles` but not replace sub, iss or aud.
    extraTokenClaims: (_ctx, token) => {
      const roles = byClientId.get(token.clientId)?.roles;
      return roles === undefined ? undefined : { roles: [...roles] };
    },
    formats: {
      customizers: {
        // The one place a JWT access token's registered claims can still be changed: here, sub.
        jwt: (_ctx, token, jwt) => {
          const subject = byClientId.get(token.clientId)?.subject;
          if (subject !== undefined) {
            jwt.payload.sub = subject;
          }
        },
      },
    },
    fetch: async (url) => {
      outboundRequests.push(String(url));
      throw new Error(`the test issuer makes no outbound requests (asked for ${url})`);
    },
  });
  provider.on('server_error', (_ctx, error) => console.error(`# oidc-issuer server_error: ${error.stack ?? error}`));
  handle = provider.callback();

  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();

  async function tokenResponse(clientId, { resource = audience, scope, clientSecret } = {}) {
    const client = byClientId.get(clientId);
    if (!client) {
      throw new Error(`no client ${clientId} on this issuer`);
    }
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (resource !== null) {
      form.set('resource', resource);
    }
    if (scope !== undefined) {
      form.set('scope', scope);
    }
    // RFC 6749 2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded.
    const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret ?? client.clientSecret)}`;
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` },
      body: form,
    });
    return { status: response.status, body: await response.json() };
  }

  return {
    issuer,
    port,
    audience,
    jwksUri: discovery.jwks_uri,
    keys: jwks.keys.map(({ kid, alg }) => ({ kid, alg })),
    tokenResponse,
    async accessToken(clientId, options) {
      const { status, body } = await tokenResponse(clientId, options);
      if (status !== 200) {
        throw new Error(`token endpoint answered ${status}: ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    outboundRequests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
