import { startNodeHttpServer, type NodeHttpServer } from '../../../services/mpc-node/observability/http-server.js';
import { MetricsRegistry } from '../../../services/mpc-node/observability/metrics.js';

describe('node operations endpoint on 127.0.0.1', () => {
  const metrics = new MetricsRegistry();
  metrics.gauge('stockpile_level', 'Assets in store').set(7, { kind: 'presignature' });
  let loopsTurn = true;
  let meshUp = true;
  let server: NodeHttpServer;

  beforeAll(async () => {
    server = await startNodeHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics,
      liveness: () => [{ name: 'loops', check: () => (loopsTurn ? { ok: true } : { ok: false, detail: 'contract-poll has not turned for 200 s' }) }],
      readiness: () => [
        { name: 'mesh', check: () => (meshUp ? { ok: true } : { ok: false, detail: 'listener closed' }) },
        {
          name: 'keys',
          check: () => {
            throw new Error('no table');
          },
        },
      ],
    });
  });
  afterAll(() => server.stop());

  it('answers liveness on /livez, /healthz and /health: 200 while every check passes, 503 naming the failing one', async () => {
    for (const path of ['/livez', '/healthz', '/health']) {
      const live = await fetch(`${server.url}${path}`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ healthy: true, checks: [{ name: 'loops', ok: true }] });
    }
    loopsTurn = false;
    const stuck = await fetch(`${server.url}/livez`);
    expect(stuck.status).toBe(503);
    expect(await stuck.json()).toEqual({ healthy: false, checks: [{ name: 'loops', ok: false, detail: 'contract-poll has not turned for 200 s' }] });
    loopsTurn = true;
  });

  it('answers readiness on /readyz apart from liveness; a check that throws fails with what it threw', async () => {
    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ healthy: false, checks: [{ name: 'mesh', ok: true }, { name: 'keys', ok: false, detail: 'check threw: no table' }] });
    meshUp = false;
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ checks: [{ name: 'mesh', ok: false, detail: 'listener closed' }, { ok: false }] });
    meshUp = true;
    // Not being ready does not make the node dead.
    expect((await fetch(`${server.url}/livez`)).status).toBe(200);
  });

  it('serves Prometheus text on /metrics and refuses other paths and methods', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4');
    expect(await response.text()).toContain('stockpile_level{kind="presignature"} 7');
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
