/**
 * The node's operations endpoint on HTTP_PORT (./health.ts says what the two questions mean):
 * `GET /livez` (also `/healthz`, `/health`) for the container and load-balancer checks and `GET /readyz`
 * for dashboards — each 200 when every check passes, 503 with the failing checks otherwise — and
 * `GET /metrics` in the Prometheus text format. Nothing secret is ever rendered here.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { evaluateHealth, type HealthCheck } from './health.js';
import type { MetricsRegistry } from './metrics.js';

const LIVENESS_PATHS = new Set(['/livez', '/healthz', '/health']);
const READINESS_PATH = '/readyz';

export interface NodeHttpServer {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startNodeHttpServer(options: {
  readonly host: string;
  readonly port: number;
  readonly metrics: MetricsRegistry;
  /** The checks of each question, asked again on every request (what a node checks changes once it is a participant). */
  readonly liveness: () => readonly HealthCheck[];
  readonly readiness: () => readonly HealthCheck[];
}): Promise<NodeHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const checks = LIVENESS_PATHS.has(path!) ? options.liveness : path === READINESS_PATH ? options.readiness : undefined;
    if (checks !== undefined) {
      const report = evaluateHealth(checks());
      response.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report));
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
