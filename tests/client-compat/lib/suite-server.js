// The one place test files get the server from. Under run-suite.js every file shares one server, started once by
// the global setup and passed down in CLIENT_COMPAT_SERVER_URL; a file run on its own starts (and stops) a private one.
import { after } from 'node:test';
import { startServer } from './server-process.js';

/** @returns {Promise<{ baseUrl: string }>} */
export async function useServer() {
  const shared = process.env.CLIENT_COMPAT_SERVER_URL;
  if (shared) {
    return { baseUrl: shared };
  }
  const server = await startServer();
  after(() => server.stop());
  return server;
}
