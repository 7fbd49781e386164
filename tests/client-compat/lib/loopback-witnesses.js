// Two loopback listeners that let a test see what an Ably SDK did, not only what it reported:
//   startAuthUrlRecorder(target)  forwards every request to the server unchanged and records when it came and what
//                                 the server answered, so a test can count authUrl calls and time the SDK's retries.
//   startDummyRealtimeHost()      accepts TCP connections and drops them at once, counting them: a realtimeHost that
//                                 proves whether the SDK got as far as opening a transport.
// Both bind 127.0.0.1 on a random port; nothing here talks to any other address.
import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

function close(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * A recording forwarder in front of `target` (e.g. the suite server's base URL).
 * @returns {Promise<{ baseUrl: string, requests: { at: number, method: string, path: string, authorization?: string, cookie?: string, status?: number }[], close: () => Promise<void> }>}
 */
export async function startAuthUrlRecorder(target) {
  const upstream = new URL(target);
  const requests = [];
  const server = createHttpServer((incoming, outgoing) => {
    const record = {
      at: performance.now(),
      method: incoming.method,
      path: incoming.url,
      authorization: incoming.headers.authorization,
      cookie: incoming.headers.cookie,
    };
    requests.push(record);
    const forwarded = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: upstream.host },
      },
      (answer) => {
        record.status = answer.statusCode;
        outgoing.writeHead(answer.statusCode, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  const port = await listen(server);
  return { baseUrl: `http://127.0.0.1:${port}`, requests, close: () => close(server) };
}

/** @returns {Promise<{ port: number, connections: () => number, close: () => Promise<void> }>} */
export async function startDummyRealtimeHost() {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  const port = await listen(server);
  return { port, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
