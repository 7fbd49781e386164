// A loopback OpenID provider for the benchmark's identity-provider row: discovery and a JWKS on 127.0.0.1, and one
// RS256 access token printed to stdout. Node's own crypto only, so the benchmark installs nothing for it.
// The protocol itself is tested against the certified oidc-provider in the test suites; this only has to be valid.
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');

const audience = process.argv[2] || 'bench';
const subject = process.argv[3] || 'bench-user';
const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const kid = crypto.randomBytes(8).toString('hex');
const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const server = http.createServer((req, res) => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const body =
    req.url === '/.well-known/openid-configuration' ? { issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }
    : req.url === '/jwks' ? { keys: [jwk] }
    : null;
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(body ? JSON.stringify(body) : '{}');
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const now = Math.floor(Date.now() / 1000);
  const signed = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url({ iss: issuer, aud: audience, sub: subject, iat: now, nbf: now, exp: now + 3600 })}`;
  const signature = crypto.sign('RSA-SHA256', Buffer.from(signed), privateKey).toString('base64url');
  process.stdout.write(`${issuer} ${signed}.${signature}\n`);
});
