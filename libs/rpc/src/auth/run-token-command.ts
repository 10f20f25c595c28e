import { AppError } from '@flywheel/core';
import { mintApiToken, readApiTokenFile, writeApiTokenFile } from './api-tokens.ts';

const usage = `usage: flywheel token create (--subject S | --service NAME) [--role GRANT…] | revoke ID | list
  GRANT is "<team>:viewer|editor|admin" or "platform:admin"; the file is FLYWHEEL_AUTH_API_TOKENS_FILE;
  --service NAME makes the token of the platform's service NAME (principal service:NAME, may act
  on behalf of another principal), for its FLYWHEEL_SERVICE_TOKEN_FILE`;

/**
 * `./flywheel token …`: a platform admin (whoever may write the token file) creates, revokes and
 * lists service-account tokens. `create` prints the token once; the file keeps only its hash.
 * Services re-read the file within a second. Returns the exit code.
 */
export async function runTokenCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: { out(line: string): void; err(line: string): void },
): Promise<number> {
  const file = env.FLYWHEEL_AUTH_API_TOKENS_FILE;
  if (!file) {
    io.err('FLYWHEEL_AUTH_API_TOKENS_FILE must name the token file');
    return 2;
  }
  const [command, ...rest] = args;
  try {
    const content = await readApiTokenFile(file);
    if (command === 'create') {
      const subject = flagValue(rest, '--subject');
      const service = flagValue(rest, '--service');
      const roles = rest.flatMap((arg, i) => (arg === '--role' && rest[i + 1] ? [rest[i + 1]!] : []));
      // A user's token needs a role; a service's may have none (its standing is being a service).
      if (!subject === !service || (!service && roles.length === 0))
        throw AppError.invalidArgument('args', usage);
      const { token, record } = mintApiToken(service ? `service:${service}` : subject!, roles, service);
      await writeApiTokenFile(file, { tokens: [...content.tokens, record] });
      io.out(token);
      io.err(`created ${record.id} for ${record.subject}; the token above is shown once`);
      return 0;
    }
    if (command === 'revoke' && rest[0]) {
      const id = rest[0];
      if (!content.tokens.some((t) => t.id === id)) throw new AppError('not_found', `no token ${id}`);
      const revokedAt = new Date().toISOString();
      await writeApiTokenFile(file, {
        tokens: content.tokens.map((t) => (t.id === id && !t.revokedAt ? { ...t, revokedAt } : t)),
      });
      io.err(`revoked ${id}`);
      return 0;
    }
    if (command === 'list') {
      for (const t of content.tokens)
        io.out(`${t.id}\t${t.subject}\t${t.roles.join(',')}\t${t.createdAt}\t${t.revokedAt ?? 'active'}`);
      return 0;
    }
    io.err(usage);
    return 2;
  } catch (error) {
    io.err(AppError.from(error).message);
    return 1;
  }
}

function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}
