import { readFile, stat } from 'node:fs/promises';
import { AppError } from '@flywheel/core';

/**
 * A service's own outgoing credential (`FLYWHEEL_SERVICE_TOKEN_FILE`): the token it sends as
 * `authorization: Bearer …` on every call to a peer — typically its `flywheel token create
 * --service <name>` token. The file must not be readable by group or others (like an SSH key);
 * errors name the file, never its content.
 */
export async function readServiceToken(file: string): Promise<string> {
  let content: string;
  try {
    const { mode } = await stat(file);
    if ((mode & 0o077) !== 0)
      throw new Error(`its mode ${(mode & 0o777).toString(8)} lets others read it; chmod 600 it`);
    content = await readFile(file, 'utf8');
  } catch (error) {
    throw new AppError(
      'failed_precondition',
      `cannot use the service token file ${file} (FLYWHEEL_SERVICE_TOKEN_FILE): ${(error as Error).message}`,
    );
  }
  const token = content.trim();
  if (!/^[\x21-\x7e]{16,4096}$/.test(token))
    throw new AppError(
      'failed_precondition',
      `the service token file ${file} (FLYWHEEL_SERVICE_TOKEN_FILE) must hold one token on one line`,
    );
  return token;
}

/** The headers a service's clients send to its peers with `token`: none without one. */
export function serviceTokenHeaders(token: string | undefined): Readonly<Record<string, string>> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}
