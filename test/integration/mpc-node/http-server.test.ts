import { startNodeHttpServer, type NodeHttpServer } from '../../../services/mpc-node/observability/http-server.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';

describe('node operations endpoint on 127.0.0.1', () => {
  const metrics = new MetricsRegistry();
  metrics.gauge('stockpile_level', 'Assets in store').set(7, { kind: 'presignature' });
  let meshUp = true;
  let server: NodeHttpServer;

  beforeAll(async () => {
    server = await startNodeHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      checks: [
        { name: 'mesh', check: () => (meshUp ? { ok: true } : { ok: false, detail: 'listener closed' }) },
        { name: 'key shares', check: () => ({ ok: true }) },
      ],
    });
  });
  afterAll(() => server.stop());

  it('answers /healthz 200 while every check passes and 503 naming the failing one otherwise', async () => {
    const healthy = await fetch(`${server.url}/healthz`);
    expect(healthy.status).toBe(200);
    expect(await healthy.json()).toEqual({ healthy: true, checks: [{ name: 'mesh', ok: true }, { name: 'key shares', ok: true }] });
    meshUp = false;
    const unhealthy = await fetch(`${server.url}/health`);
    expect(unhealthy.status).toBe(503);
    expect(await unhealthy.json()).toMatchObject({ healthy: false, checks: [{ name: 'mesh', ok: false, detail: 'listener closed' }, { ok: true }] });
    meshUp = true;
  });

  it('serves Prometheus text on /metrics and refuses other paths and methods', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await response.text()).toContain('stockpile_level{kind="presignature"} 7');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
