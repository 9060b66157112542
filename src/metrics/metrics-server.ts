import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * A bare HTTP server answering `GET /metrics` without X-Admin-Key, for server.metrics_port.
 * Anyone who can reach this port reads the metrics: bind it where only Prometheus can reach
 * it (a private interface or a port the load balancer does not forward); never expose it.
 */
export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          success: false,
          error: 'not_found',
          error_description: 'only GET /metrics is served on this port',
        }),
      );
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      () =>
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ success: false, error: 'server_error', error_description: 'metrics collection failed' }),
          ),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function stopMetricsServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
