import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PeerHttpClient, PeerRequestTimeout } from './peer-http-client.js';

describe('PeerHttpClient', () => {
  let server: Server;
  let url: URL;
  const connections: unknown[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url === '/silent') return; // never answers
        response.writeHead(request.url === '/refuse' ? 400 : 200).end(`${request.method} ${Buffer.concat(chunks).length}`);
      });
    });
    server.on('connection', (socket) => connections.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts a body and reads the answer, reusing pooled sockets', async () => {
    const client = new PeerHttpClient(2);
    try {
      const before = connections.length;
      for (let i = 0; i < 5; i += 1) {
        expect(await client.request(new URL('/frame', url), 'POST', new Uint8Array(1000 + i), 5_000)).toEqual({ status: 200, body: `POST ${1000 + i}` });
      }
      expect(await client.request(new URL('/refuse', url), 'GET', undefined, 5_000)).toEqual({ status: 400, body: 'GET 0' });
      // Six requests one after another went over one kept-alive connection.
      expect(connections.length - before).toBe(1);
    } finally {
      client.destroy();
    }
  });

  it('gives up on a peer that does not answer in time, and on one that is not there', async () => {
    const client = new PeerHttpClient(2);
    try {
      await expect(client.request(new URL('/silent', url), 'POST', Uint8Array.of(1), 100)).rejects.toBeInstanceOf(PeerRequestTimeout);
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      await expect(client.request(new URL(`http://127.0.0.1:${port}/frame`), 'POST', Uint8Array.of(1), 5_000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      client.destroy();
    }
  });
});
