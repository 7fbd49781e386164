// Logging in the way an app's own frontend would: POST /auth/login, then use the session token or cookie.
const REQUEST_TIMEOUT_MS = 10_000;

/** @returns {Promise<{ sessionToken: string, expiresAt: string, clientId: string, cookie: string | null }>} */
export async function login(baseUrl, { username, password }) {
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (response.status !== 200) {
    throw new Error(`login as ${username} answered ${response.status}: ${await response.text()}`);
  }
  const body = await response.json();
  return { ...body, cookie: response.headers.get('set-cookie') };
}

export async function logout(baseUrl, sessionToken) {
  const response = await fetch(`${baseUrl}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sessionToken}` },
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return response.status;
}

export const bearer = (sessionToken) => ({ Authorization: `Bearer ${sessionToken}` });

export const basic = ({ username, password }) => ({
  Authorization: `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`,
});
