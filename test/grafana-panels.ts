import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@flywheel/testing';

/** One Prometheus query of a Grafana panel, named for the failure message. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  expr: string;
}

/**
 * Every panel target's `expr` of deploy/grafana/dashboards/*.json, as Grafana would run them with
 * the dashboard variable `$job` set to `job`: escaped as a regex (it stands in a `=~`), and each
 * backslash of that doubled (the regex is inside a PromQL string literal).
 */
export function grafanaPanelQueries(job: string): PanelQuery[] {
  const jobRegex = job.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('\\', '\\\\');
  const dir = join(repoRoot, 'deploy/grafana/dashboards');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((file) => {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        title: string;
        panels: { title: string; targets: { refId: string; expr: string }[] }[];
      };
      return json.panels.flatMap((p) =>
        p.targets.map((t) => ({
          dashboard: json.title,
          panel: p.title,
          refId: t.refId,
          expr: t.expr.replaceAll('$job', jobRegex),
        })),
      );
    });
}
