/**
 * The node's operations endpoint on HTTP_PORT: `GET /healthz` (also `/health`) for the load balancer and
 * container health checks — 200 when every check passes, 503 with the failing checks otherwise — and
 * `GET /metrics` in the Prometheus text format. Nothing secret is ever rendered here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsRegistry } from './metrics.js';

/** One named readiness check; `detail` says what is wrong when `ok` is false. */
export interface HealthCheck {
  readonly name: string;
  check(): { readonly ok: boolean; readonly detail?: string };
}

export interface NodeHttpServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startNodeHttpServer(options: {
  readonly host: string;
  readonly port: number;
  readonly metrics: MetricsRegistry;
  readonly checks: readonly HealthCheck[];
}): Promise<NodeHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz' || path === '/health') {
      const results = options.checks.map((health) => {
        try {
          return { name: health.name, ...health.check() };
        } catch (error) {
          return { name: health.name, ok: false, detail: `check threw: ${(error as Error).message}` };
        }
      });
      const healthy = results.every((result) => result.ok);
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ healthy, checks: results }));
      return;
    }
    if (path === '/metrics') {
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(options.metrics.render());
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
