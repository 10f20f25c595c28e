import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

/** Answers a Prometheus scrape of `registry` (GET or HEAD) in the text exposition format. */
export async function sendMetrics(
  registry: Registry,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}
