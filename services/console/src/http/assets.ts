import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * The browser's files, all from this package: htmx and Chart.js from node_modules (no CDN — the
 * console works offline), the console's own stylesheet and chart glue beside this module.
 */
const files: Readonly<Record<string, { path: string; type: string }>> = {
  'htmx.js': { path: require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript' },
  'chart.js': {
    path: join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
    type: 'text/javascript',
  },
  'console.js': { path: new URL('../assets/console.js', import.meta.url).pathname, type: 'text/javascript' },
  'console.css': { path: new URL('../assets/console.css', import.meta.url).pathname, type: 'text/css' },
};

const cache = new Map<string, Buffer>();

/** An asset's bytes and content type, or undefined for an unknown name. */
export function assetOf(name: string): { body: Buffer; type: string } | undefined {
  const file = files[name];
  if (!file) return undefined;
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(file.path);
    cache.set(name, body);
  }
  return { body, type: file.type };
}
