/**
 * @module gpu-worker/health
 * Liveness, readiness and metrics over HTTP: `/healthz` (the event loop answers), `/readyz`
 * (models loaded, queue reachable recently, not shutting down) and `/metrics` (Prometheus).
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthState {
  ready(): { ready: boolean; details: Record<string, unknown> };
}

export function startHealthServer(port: number, state: HealthState, metrics: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, { error: 'method not allowed' });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      const { ready, details } = state.ready();
      return send(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...details });
    }
    if (path === '/metrics') {
      metrics.metrics().then(
        (text) => send(200, text, metrics.contentType),
        (error: Error) => send(500, { error: error.message }),
      );
      return;
    }
    send(404, { error: 'not found' });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}
