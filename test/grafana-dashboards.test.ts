// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Grafana variables are literal ${...} strings.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@flywheel/testing';
import { describe, expect, it } from 'vitest';

/** The dashboards of deploy/grafana/dashboards, as Grafana would load them from the provider. */
const dir = join(repoRoot, 'deploy/grafana/dashboards');
const dashboards = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) }));

describe.each(dashboards)('Grafana dashboard $file', ({ json }) => {
  it('is a dashboard Grafana can import: uid, schemaVersion, a Prometheus ${datasource} variable', () => {
    expect(json.uid).toMatch(/^flywheel-/);
    expect(json.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(json.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
  });

  it('has a multi-value $job variable, and every metric a panel reads is scoped by it', () => {
    expect(json.templating.list).toContainEqual(
      expect.objectContaining({ name: 'job', type: 'query', multi: true, includeAll: true, allValue: '.+' }),
    );
    for (const panel of json.panels) {
      for (const target of panel.targets) {
        const selectors = [
          ...target.expr.matchAll(/\b(?:flywheel|grpc_server|nv_inference)_[a-z_]+(\{[^}]*\})?/g),
        ];
        expect(selectors.length, panel.title).toBeGreaterThan(0);
        for (const [selector, labels] of selectors) expect(labels ?? '', selector).toContain('job=~"$job"');
      }
    }
  });

  it('every panel queries Prometheus through ${datasource} with a PromQL expr', () => {
    expect(json.panels.length).toBeGreaterThan(0);
    for (const panel of json.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr, panel.title).toMatch(/[a-z_]+/);
    }
  });
});

it('there are the serving, loop, bus and drift dashboards', () => {
  expect(dashboards.map((d) => d.file).sort()).toEqual([
    'bus.json',
    'drift.json',
    'loop.json',
    'serving.json',
  ]);
});
