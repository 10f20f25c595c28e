import { alertsPage } from '../pages/alerts-page.ts';
import { comparePage } from '../pages/compare-page.ts';
import { deploymentPage, deploymentsPage } from '../pages/deployments-page.ts';
import { driftIndexPage, driftPage } from '../pages/drift-page.ts';
import { experimentPage } from '../pages/experiment-page.ts';
import { experimentsPage } from '../pages/experiments-page.ts';
import { leadTimePage } from '../pages/lead-time-page.ts';
import { modelPage } from '../pages/model-page.ts';
import { modelsPage } from '../pages/models-page.ts';
import type { PageContext } from '../pages/page-context.ts';
import { requestPage, requestsPage } from '../pages/request-page.ts';
import { runDetail, runPage } from '../pages/run-page.ts';
import { runsPage } from '../pages/runs-page.ts';
import type { Html } from '../view/html.ts';

type Render = (ctx: PageContext, ...params: string[]) => Promise<Html>;

/** Path patterns to pages; a `([^/]+)` group is a URL-encoded name or id. */
const routes: readonly (readonly [RegExp, Render])[] = [
  [/^\/models$/, modelsPage],
  [/^\/models\/([^/]+)$/, modelPage],
  [/^\/runs$/, runsPage],
  [/^\/runs\/([^/]+)$/, runPage],
  [/^\/runs\/([^/]+)\/detail$/, runDetail],
  [/^\/experiments$/, experimentsPage],
  [/^\/experiments\/([^/]+)$/, experimentPage],
  [/^\/compare$/, comparePage],
  [/^\/deployments$/, deploymentsPage],
  [/^\/deployments\/([^/]+)$/, deploymentPage],
  [/^\/drift$/, driftIndexPage],
  [/^\/drift\/([^/]+)$/, driftPage],
  [/^\/alerts$/, alertsPage],
  [/^\/lead-time$/, leadTimePage],
  [/^\/requests$/, requestsPage],
  [/^\/requests\/([^/]+)$/, requestPage],
];

/** The page for a path, or undefined when no route matches. */
export function routeOf(path: string): ((ctx: PageContext) => Promise<Html>) | undefined {
  for (const [pattern, render] of routes) {
    const match = pattern.exec(path);
    if (match) return (ctx) => render(ctx, ...match.slice(1).map((p) => decodeURIComponent(p)));
  }
  return undefined;
}
