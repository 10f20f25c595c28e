import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { AppError } from '@flywheel/core';
import { type Action, mayAct, type Principal } from './principal.ts';

/** The team(s) owning what a call acts on: from the stored resource, or a create call's `team`. */
export type TeamOf<Req> = (
  request: Req,
  signal: AbortSignal,
) => string | readonly string[] | Promise<string | readonly string[]>;

/**
 * What one method needs of its caller, checked by the kernel before the handler runs:
 * - `open`: no credential (health);
 * - `authenticated`: any verified caller (reflection, server metadata);
 * - `platform-admin`: a platform admin;
 * - `{ action, team }`: `action` on every team `team` resolves to. An empty team (a create or a
 *   list call that left `team` unset) is for platform admins only: others must name one of theirs.
 */
export type MethodPolicy<Req> =
  | { readonly access: 'open' | 'authenticated' | 'platform-admin' }
  | { readonly action: Action; readonly team: TeamOf<Req> };

type In<M> = M extends { input: infer I extends DescMessage } ? MessageShape<I> : never;

/**
 * One service's policy table: an entry for every method, keyed by its local (lowerCamel) name —
 * the compiler refuses a table that misses one. For streaming requests the entry is checked
 * against every request message.
 */
export type ServicePolicy<S extends GenServiceMethods> = { readonly [K in keyof S]: MethodPolicy<In<S[K]>> };

/** Any method's policy, as the kernel holds it. */
// biome-ignore lint/suspicious/noExplicitAny: the kernel checks policies of every request type.
export type AnyMethodPolicy = MethodPolicy<any>;

/**
 * Checks `principal` against `policy` for `request`: resolves with nothing when allowed, rejects
 * `permission_denied` (or what the team lookup threw, e.g. `not_found`) otherwise.
 */
export async function authorize<Req>(
  method: string,
  policy: MethodPolicy<Req> | undefined,
  principal: Principal,
  request: Req,
  signal: AbortSignal,
): Promise<void> {
  if (policy === undefined) {
    throw new AppError('permission_denied', `${method} has no access policy; it is refused to everyone`);
  }
  if ('access' in policy) {
    if (policy.access !== 'platform-admin' || principal.platformAdmin) return;
    throw new AppError(
      'permission_denied',
      `${method} is for platform admins; ${principal.subject} is not one`,
    );
  }
  // A platform admin may do anything: no lookup on its calls (nor on the local principal's).
  if (principal.platformAdmin) return;
  const resolved = await policy.team(request, signal);
  const teams = typeof resolved === 'string' ? [resolved] : resolved;
  for (const team of teams) {
    if (team === '') {
      throw new AppError(
        'permission_denied',
        `${method}: set team to one of yours (${principal.teams.join(', ') || 'you have none'}); only a platform admin acts across teams`,
      );
    }
    if (!mayAct(principal, policy.action, team)) {
      throw new AppError(
        'permission_denied',
        `${method} needs the ${neededRole[policy.action]} role in team "${team}"; ${principal.subject} has ${principal.roles[team] ?? 'none'}`,
      );
    }
  }
}

const neededRole: Readonly<Record<Action, string>> = { view: 'viewer', edit: 'editor', admin: 'admin' };

/**
 * A table that gives every method of `service` to platform admins only: for a service whose
 * team-scoped table is not written yet, so turning auth on never leaves a method open.
 */
export function platformAdminPolicy<S extends GenServiceMethods>(service: GenService<S>): ServicePolicy<S> {
  const entry = { access: 'platform-admin' } as const;
  return Object.fromEntries(service.methods.map((m) => [m.localName, entry])) as unknown as ServicePolicy<S>;
}
