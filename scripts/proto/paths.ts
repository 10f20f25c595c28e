import { fileURLToPath } from 'node:url';

/** The repository root, whatever the caller's working directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Where generated code lives, relative to a repository root. */
export const generatedDir = 'libs/proto/gen';
