// Fixed inputs of the suite: the Ably test key and the accounts created through the `users add` CLI.

/** A test key in Ably's `appId.keyId:secret` shape; the secret is >= 32 characters as the server requires. */
export const TEST_KEY = Object.freeze({
  name: 'testApp.testKey',
  secret: 'c2VjcmV0LWZvci10ZXN0cy10aGF0LWlzLWxvbmctZW5vdWdo',
  get full() {
    return `${this.name}:${this.secret}`;
  },
});

/** One account per default role (src/AblyAuthServer/appsettings.json, Policies:Roles). */
export const USERS = Object.freeze({
  member: Object.freeze({ username: 'alice', password: 'correct horse battery', role: 'member', clientId: 'alice' }),
  viewer: Object.freeze({ username: 'victor', password: 'viewer horse battery', role: 'viewer', clientId: 'victor' }),
  // The service account gets an explicit clientId to show --client-id reaches the token.
  service: Object.freeze({ username: 'backend', password: 'service horse battery', role: 'service', clientId: 'backend-svc' }),
});

/** What the default policies grant each role, as the canonical JSON string the server must put in tokens. */
export const EXPECTED_CAPABILITY = Object.freeze({
  member: JSON.stringify({ 'chat:*': ['history', 'presence', 'publish', 'subscribe'], 'private:alice': ['*'] }),
  viewer: JSON.stringify({ 'chat:*': ['history', 'subscribe'] }),
  service: JSON.stringify({ '*': ['*'] }),
});

/** The server's default token lifetime (Ably:DefaultTtl) and ceiling (Ably:MaxTtl), in seconds. */
export const DEFAULT_TTL_SECONDS = 60 * 60;
export const MAX_TTL_SECONDS = 24 * 60 * 60;
