// ably-js clients configured the way an app would point them at this server.
import Ably from 'ably';

// ably-js logs every refused token request at error level; the tests assert on the errors instead.
const QUIET = { logLevel: 0 };

/** `new Ably.Rest({ authUrl: '<server><path>', ...options })` — the integration this server exists for. */
export function restWithAuthUrl(baseUrl, options = {}, path = '/ably/token') {
  return new Ably.Rest({ authUrl: `${baseUrl}${path}`, ...QUIET, ...options });
}

/** A client holding the key itself: only for computing what ably-js would sign, never how apps should run. */
export function restWithKey(key) {
  return new Ably.Rest({ key, ...QUIET });
}

/**
 * Runs `action`, expecting ably-js to reject; returns the ErrorInfo so callers can assert code and statusCode.
 * @returns {Promise<{ code: number, statusCode: number, message: string }>}
 */
export async function ablyError(action) {
  try {
    const result = await action();
    throw new Error(`expected ably-js to fail, but it returned ${JSON.stringify(result)}`);
  } catch (error) {
    if (error instanceof Ably.ErrorInfo || (error && typeof error.statusCode === 'number')) {
      return error;
    }
    throw error;
  }
}

export { Ably };
