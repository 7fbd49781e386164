// Checks the server's JWTs with jose, an implementation independent of the .NET code that signed them.
import { decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { TEST_KEY } from './config.js';

const secret = new TextEncoder().encode(TEST_KEY.secret);

/** Verifies signature (HS256 with the key secret), expiry and `kid`; returns the header and claims. */
export async function verifyAblyJwt(jwt, { secretBytes = secret } = {}) {
  const { payload, protectedHeader } = await jwtVerify(jwt, secretBytes, { algorithms: ['HS256'] });
  if (protectedHeader.kid !== TEST_KEY.name) {
    throw new Error(`kid is ${protectedHeader.kid}, expected the key name ${TEST_KEY.name}`);
  }
  return { header: protectedHeader, claims: payload };
}

/** Header and claims without verifying: for asserting on what a client would see. */
export function decodeAblyJwt(jwt) {
  return { header: decodeProtectedHeader(jwt), claims: decodeJwt(jwt) };
}

/** Ably grants `*` (every op) or the named op, on `*` (non-qualified channels), `ns:*` or the exact channel. */
export function capabilityAllows(capabilityJson, channel, operation) {
  const capability = JSON.parse(capabilityJson);
  return Object.entries(capability).some(([resource, operations]) => {
    const opAllowed = operations.includes('*') || operations.includes(operation);
    return opAllowed && resourceMatches(resource, channel);
  });
}

function resourceMatches(resource, channel) {
  if (resource === channel || resource === '[*]*') {
    return true;
  }
  if (channel.startsWith('[')) {
    return false;
  }
  if (resource === '*') {
    return true;
  }
  // Wildcards replace whole `:`-separated segments: `chat:*` covers `chat:lobby`, not `chatter`.
  return resource.endsWith(':*') && channel.startsWith(resource.slice(0, -1));
}
