import type { ConsoleClients } from '../clients.ts';

/** What every page renders from: the services' clients and the trace viewer's URL template. */
export interface PageContext {
  clients: ConsoleClients;
  traceUrl: string | undefined;
  /** The request's query string: a page's filters, sort order and picked runs (absent: none). */
  query?: URLSearchParams;
}
