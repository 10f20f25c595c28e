import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { AppError } from '@flywheel/core';
import { type Action, mayAct, type Principal } from './principal.ts';

/**
 * A stored resource's owning team, with the resource's name as errors show it (`model "m"`): a
 * caller with no role in that team is answered NOT_FOUND exactly as for a missing resource, so
 * outsiders learn nothing of other teams' resources (see {@link resourceNotFound}).
 */
export interface OwnedBy {
  readonly team: string;
  readonly resource: string;
  /** What the call needs on this owner when not the policy's action, e.g. `view` of what a create reads. */
  readonly needs?: Action;
}

/** The owner of `resource`: a lookup's answer for {@link TeamOf}. */
export function ownedBy(resource: string, team: string): OwnedBy {
  return { team, resource };
}

/** `owners` as read by the call: the viewer role on their teams is enough, whatever the policy's action. */
export function readOnly(owners: readonly OwnedBy[]): OwnedBy[] {
  return owners.map((owner) => ({ ...owner, needs: 'view' }));
}

/**
 * The one answer for a resource that does not exist or that the caller may not see: team lookups
 * throw it for a missing resource and the check for another team's, word for word.
 */
export function resourceNotFound(resource: string): AppError {
  return new AppError('not_found', `${resource} does not exist`);
}

type Owner = string | OwnedBy;

/**
 * The team(s) owning what a call acts on: from the stored resource (an {@link OwnedBy}), or a
 * create or list call's `team` (a string: naming a team is no secret, the answer is
 * PERMISSION_DENIED).
 */
export type TeamOf<Req> = (
  request: Req,
  signal: AbortSignal,
) => Owner | readonly Owner[] | Promise<Owner | readonly Owner[]>;

/**
 * What one method needs of its caller, checked by the kernel before the handler runs:
 * - `open`: no credential (health);
 * - `authenticated`: any verified caller (reflection, server metadata);
 * - `platform-admin`: a platform admin;
 * - `{ action, team }`: `action` on every team `team` resolves to. An empty team (a create or a
 *   call that left `team` unset) is for platform admins only: others must name one of theirs;
 * - with `list: true`, an empty team is every team the caller may view: any verified caller may
 *   call, and the handler lists only those teams' resources ({@link visibleTeams}).
 */
export type MethodPolicy<Req> =
  | { readonly access: 'open' | 'authenticated' | 'platform-admin' }
  | { readonly action: Action; readonly team: TeamOf<Req>; readonly list?: true };

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
  const listed: readonly Owner[] =
    typeof resolved === 'string' || !Array.isArray(resolved) ? [resolved as Owner] : resolved;
  // No owner at all (e.g. a read naming no feature) is as an empty team: never "nothing to check".
  const owners = listed.length ? listed : [''];
  for (const owner of owners) {
    const team = typeof owner === 'string' ? owner : owner.team;
    if (typeof owner !== 'string' && !mayAct(principal, 'view', team)) throw resourceNotFound(owner.resource);
    if (team === '' && policy.list) continue;
    if (team === '') {
      throw new AppError(
        'permission_denied',
        `${method}: set team to one of yours (${principal.teams.join(', ') || 'you have none'}); only a platform admin acts across teams`,
      );
    }
    const action = typeof owner === 'string' ? policy.action : (owner.needs ?? policy.action);
    if (!mayAct(principal, action, team)) {
      throw new AppError(
        'permission_denied',
        `${method} needs the ${neededRole[action]} role in team "${team}"; ${principal.subject} has ${principal.roles[team] ?? 'none'}`,
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
