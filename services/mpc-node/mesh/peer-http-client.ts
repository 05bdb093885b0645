/**
 * The mesh's HTTP client: node:http / node:https over keep-alive agents, one per protocol. A node posts
 * frames to each peer all the time, and global `fetch` (undici) costs far more CPU per request — web
 * streams, abort signals, header objects — than a plain request on a pooled socket. Every response is
 * read to its end, which is what hands the socket back to the pool.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** What came back: the status and the (small) body. */
export interface PeerHttpResponse {
  readonly status: number;
  readonly body: string;
}

/** The request did not complete within its time limit. */
export class PeerRequestTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'PeerRequestTimeout';
  }
}

/**
 * Pooled sockets are closed after this long unused: below the mesh server's keep-alive timeout (30 s),
 * so the client never writes to a socket the server is about to close.
 */
const IDLE_SOCKET_MS = 15_000;

export class PeerHttpClient {
  private readonly http: HttpAgent;
  private readonly https: HttpsAgent;

  /** `socketsPerPeer`: at most this many requests to one peer at once (more wait for a socket). */
  constructor(socketsPerPeer: number) {
    const options = { keepAlive: true, maxSockets: socketsPerPeer, timeout: IDLE_SOCKET_MS };
    this.http = new HttpAgent(options);
    this.https = new HttpsAgent(options);
  }

  request(url: URL, method: 'GET' | 'POST', body: Uint8Array | undefined, timeoutMs: number): Promise<PeerHttpResponse> {
    return new Promise((resolve, reject) => {
      const secure = url.protocol === 'https:';
      const headers = body === undefined ? {} : { 'content-type': 'application/octet-stream', 'content-length': String(body.length) };
      const onResponse = (response: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', fail);
      };
      const request = secure ? httpsRequest(url, { method, headers, agent: this.https }, onResponse) : httpRequest(url, { method, headers, agent: this.http }, onResponse);
      const timer = setTimeout(() => request.destroy(new PeerRequestTimeout(timeoutMs)), timeoutMs);
      function fail(error: Error): void {
        clearTimeout(timer);
        reject(error);
      }
      request.on('error', fail);
      request.end(body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.length));
    });
  }

  /** Closes the pooled sockets (the transport is stopping). */
  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
