// Fixed inputs of the suite: the Ably test key and the accounts created through the `users add` CLI.
import { readFileSync } from 'node:fs';

const TEST_KEY_FILE = new URL('../../test-api-key.txt', import.meta.url);
const testKey = readFileSync(TEST_KEY_FILE, 'utf8').trim();
const separator = testKey.indexOf(':');
if (separator <= 0) {
  throw new Error(`${TEST_KEY_FILE.pathname} does not hold a key in the appId.keyId:secret shape`);
}

/**
 * The test key every suite shares (tests/test-api-key.txt, a throwaway, not a secret), in Ably's `appId.keyId:secret`
 * shape; the secret is >= 32 characters as the server requires.
 */
export const TEST_KEY = Object.freeze({
  name: testKey.slice(0, separator),
  secret: testKey.slice(separator + 1),
  get full() {
    return `${this.name}:${this.secret}`;
  },
});

/**
 * A second throwaway key of the same app, for rotation (not a secret): the .NET suite uses the same one.
 */
export const SECOND_TEST_KEY = Object.freeze({
  name: `${TEST_KEY.name.slice(0, TEST_KEY.name.indexOf('.'))}.second`,
  secret: 'second-throwaway-test-secret-not-for-production',
  get full() {
    return `${this.name}:${this.secret}`;
  },
});

/**
 * The roles the server runs with, configured as an operator would (nothing is merged with the server's example roles,
 * which apply only when no role is configured): channel grants per role, and whether it may ask for any clientId.
 */
export const ROLES = Object.freeze({
  member: {
    capabilities: [
      { channel: 'chat:*', operations: ['publish', 'subscribe', 'presence', 'history'] },
      { channel: 'private:{clientId}', operations: ['publish', 'subscribe', 'presence', 'history'] },
    ],
  },
  viewer: { capabilities: [{ channel: 'chat:*', operations: ['subscribe', 'history'] }] },
  // A trusted backend: every operation on every channel, as any clientId. Never a shipped default.
  service: { allowAnyClientId: true, capabilities: [{ channel: '*', operations: ['*'] }] },
});

/** ROLES as the environment variables that configure them (Policies__Roles__<role>__…). */
export function rolesEnvironment(roles = ROLES) {
  const env = {};
  for (const [role, policy] of Object.entries(roles)) {
    if (policy.allowAnyClientId) {
      env[`Policies__Roles__${role}__AllowAnyClientId`] = 'true';
    }
    policy.capabilities.forEach(({ channel, operations }, i) => {
      env[`Policies__Roles__${role}__Capabilities__${i}__Channel`] = channel;
      operations.forEach((operation, j) => {
        env[`Policies__Roles__${role}__Capabilities__${i}__Operations__${j}`] = operation;
      });
    });
  }
  return env;
}

/** One account per role in ROLES. */
export const USERS = Object.freeze({
  member: Object.freeze({ username: 'alice', password: 'correct horse battery', role: 'member', clientId: 'alice' }),
  viewer: Object.freeze({ username: 'victor', password: 'viewer horse battery', role: 'viewer', clientId: 'victor' }),
  // The service account gets an explicit clientId to show --client-id reaches the token.
  service: Object.freeze({ username: 'backend', password: 'service horse battery', role: 'service', clientId: 'backend-svc' }),
});

/** What ROLES grant each account, as the canonical JSON string the server must put in tokens. */
export const EXPECTED_CAPABILITY = Object.freeze({
  member: JSON.stringify({ 'chat:*': ['history', 'presence', 'publish', 'subscribe'], 'private:alice': ['history', 'presence', 'publish', 'subscribe'] }),
  viewer: JSON.stringify({ 'chat:*': ['history', 'subscribe'] }),
  service: JSON.stringify({ '*': ['*'] }),
});

/** The audience the suite's server puts in embedded tokens (EmbeddedTokens:Audience); its issuer is its own base URL. */
export const EMBEDDED_AUDIENCE = 'https://api.client-compat.test';

/** The server's default token lifetime (Ably:DefaultTtl) and ceiling (Ably:MaxTtl), in seconds. */
export const DEFAULT_TTL_SECONDS = 60 * 60;
export const MAX_TTL_SECONDS = 60 * 60;
