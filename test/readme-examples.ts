import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@flywheel/testing';

/** A fenced code block of a README tagged with a title: ```python title="…"```. */
export interface ReadmeExample {
  readme: string;
  language: string;
  title: string;
  code: string;
}

/** The service READMEs whose examples build on each other, in the order they are run. */
export const exampleReadmes = [
  'services/registry/README.md',
  'services/serving/README.md',
  'services/feature-store/README.md',
  'services/scheduler/README.md',
  'services/orchestrator/README.md',
  'services/monitoring/README.md',
] as const;

/** The titled `language` blocks of `readme` (a path from the repository root), in document order. */
export function readmeExamples(readme: string, language: string): ReadmeExample[] {
  const text = readFileSync(join(repoRoot, readme), 'utf8');
  const fence = /^```(\w+) title="([^"]+)"\n([\s\S]*?)^```$/gm;
  return [...text.matchAll(fence)]
    .filter((m) => m[1] === language)
    .map((m) => ({ readme, language, title: m[2] ?? '', code: m[3] ?? '' }));
}
