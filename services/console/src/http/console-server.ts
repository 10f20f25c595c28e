import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAppError, type Logger, messageOf } from '@flywheel/core';
import type { PageContext } from '../pages/page-context.ts';
import { html } from '../view/html.ts';
import { layout } from '../view/layout.ts';
import { assetOf } from './assets.ts';
import { routeOf } from './routes.ts';

export interface ConsoleServer {
  readonly port: number;
  close(): Promise<void>;
}

/** The console's HTTP server: GET pages (server-rendered HTML) and /assets/<file>. */
export async function startConsoleServer(
  ctx: PageContext,
  options: { host: string; port: number; log: Logger },
): Promise<ConsoleServer> {
  const server: Server = createServer((req, res) => {
    void handle(ctx, options.log, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  ctx: PageContext,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://console');
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'only GET');
  if (url.pathname === '/') {
    res.writeHead(302, { location: '/models' }).end();
    return;
  }
  // The search box's GET form: one URL per request, so a request's page can be linked.
  const searched = url.pathname === '/requests' ? url.searchParams.get('id')?.trim() : undefined;
  if (searched) {
    res.writeHead(302, { location: `/requests/${encodeURIComponent(searched)}` }).end();
    return;
  }
  if (url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok');
  if (url.pathname.startsWith('/assets/')) {
    const asset = assetOf(url.pathname.slice('/assets/'.length));
    return asset ? send(res, 200, asset.type, asset.body) : send(res, 404, 'text/plain', 'no such asset');
  }
  const page = routeOf(url.pathname);
  if (!page)
    return send(
      res,
      404,
      'text/html; charset=utf-8',
      layout('Not found', html`<p>No page at ${url.pathname}.</p>`).text,
    );
  try {
    send(res, 200, 'text/html; charset=utf-8', (await page({ ...ctx, query: url.searchParams })).text);
  } catch (error) {
    // A service's refusal is shown as it said it (NOT_FOUND, PERMISSION_DENIED…), not hidden.
    const status = isAppError(error, 'not_found')
      ? 404
      : isAppError(error, 'permission_denied') || isAppError(error, 'unauthenticated')
        ? 403
        : isAppError(error, 'invalid_argument')
          ? 400
          : 502;
    log.warn('page failed', { path: url.pathname, error: messageOf(error) });
    send(
      res,
      status,
      'text/html; charset=utf-8',
      layout('Error', html`<p class="error">${messageOf(error)}</p>`).text,
    );
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}
