import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/**
 * Serving's folders from the request's entry to the runtime. A module may import from its own
 * folder and from folders later in this list, never earlier ones; the top level (main, config,
 * wiring, index) composes everything and is imported by none of them.
 */
const layers = ['api', 'inference', 'observability', 'traffic', 'deployments', 'runtime'] as const;

/** Relative specifiers of static imports/exports, dynamic imports and `new URL(…, import.meta.url)`. */
const specifierPattern = /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)'(\.{1,2}\/[^']+)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The folder of `src` a path is in; '' for the top level, '..' for anything outside src. */
function folderOf(path: string): string {
  const rel = relative(src, path);
  if (rel.startsWith('..')) return '..';
  const parts = rel.split(sep);
  return parts.length === 1 ? '' : parts[0]!;
}

/** Rank of a folder: the top level first, then the layers; undefined for a folder not in `layers`. */
function rankOf(folder: string): number | undefined {
  if (folder === '') return 0;
  const index = (layers as readonly string[]).indexOf(folder);
  return index === -1 ? undefined : index + 1;
}

/** Every import in serving's src that breaks the layering, as "file → import (why)". */
function violations(): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = folderOf(file);
    const fromRank = rankOf(from);
    const name = relative(src, file);
    if (fromRank === undefined) {
      found.push(`${name}: folder "${from}" is not one of the layers ${layers.join(' → ')}`);
      continue;
    }
    for (const match of readFileSync(file, 'utf8').matchAll(specifierPattern)) {
      const specifier = match[1]!;
      const to = folderOf(resolve(dirname(file), specifier));
      if (to === from || to === '..') continue;
      const toRank = rankOf(to);
      if (toRank === undefined) found.push(`${name} → ${specifier} (folder "${to}" is not a layer)`);
      else if (toRank < fromRank) {
        found.push(`${name} → ${specifier} (${from} may not import ${to || 'the top level'})`);
      }
    }
  }
  return found;
}

describe('serving source layering', () => {
  it('has no import pointing up: api → inference → observability → traffic → deployments → runtime', () => {
    expect(violations()).toEqual([]);
  });

  it('keeps the top level of src small', () => {
    const top = readdirSync(src);
    // The layers plus the composition: main, config, wiring, index and consumed-events (the one
    // list of events serving subscribes to, which the Kafka ACLs grant from too).
    expect(top.length).toBeLessThanOrEqual(11);
    for (const layer of layers) expect(top).toContain(layer);
  });
});
