import { AppError } from '@flywheel/core';

/** A role within a team; ordered: an editor may do what a viewer may, an admin what an editor may. */
export type TeamRole = 'viewer' | 'editor' | 'admin';

/** What a policy entry asks of the caller on the resource's team. */
export type Action = 'view' | 'edit' | 'admin';

/**
 * The verified caller of a call, put on the call context by the kernel. Handlers read identity
 * from here, never from request fields.
 */
export interface Principal {
  /** Stable identity: the token's `sub`, a service account's subject, or `local` in embedded mode. */
  readonly subject: string;
  /** The teams the principal holds a role in. */
  readonly teams: readonly string[];
  /** The principal's role in each of its teams. */
  readonly roles: Readonly<Record<string, TeamRole>>;
  /** May do anything on every team (and manage service-account tokens). */
  readonly platformAdmin: boolean;
  /**
   * A service calling with its certificate for event-driven work: the principal that started the
   * chain (its `flywheel-on-behalf-of` header). Audit only: it grants nothing.
   */
  readonly onBehalfOf?: string;
  /**
   * Set for a service's own credential — a client certificate its mapping file, or an API token
   * its token file, names as one of the platform's services (`"service": "<name>"`): the subject
   * is then `service:<name>`, the name the service acts under on its events too, and only such a
   * caller may say whom it acts for (see {@link servicePrincipalOf}).
   */
  readonly service?: string;
}

const teamRoles: readonly TeamRole[] = ['viewer', 'editor', 'admin'];
const needed: Readonly<Record<Action, TeamRole>> = { view: 'viewer', edit: 'editor', admin: 'admin' };
const teamPattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The grant string of platform admins in a token's roles. */
export const platformAdminGrant = 'platform:admin';

/** The one principal of embedded mode (auth off): subject `local`, admin of `team` and platform admin. */
export function localPrincipal(team: string): Principal {
  return { subject: 'local', teams: [team], roles: { [team]: 'admin' }, platformAdmin: true };
}

/**
 * A principal from its grants: `"<team>:viewer|editor|admin"` or `"platform:admin"`. The highest
 * role wins when a team is granted twice. Throws `unauthenticated` for a malformed grant, so a
 * typo in an identity provider's mapping never silently grants less or more than meant.
 */
export function principalOf(subject: string, grants: readonly unknown[]): Principal {
  const roles: Record<string, TeamRole> = {};
  let platformAdmin = false;
  for (const grant of grants) {
    if (grant === platformAdminGrant) {
      platformAdmin = true;
      continue;
    }
    const [team, role, extra] = typeof grant === 'string' ? grant.split(':') : [];
    if (
      team === undefined ||
      extra !== undefined ||
      !teamPattern.test(team) ||
      !teamRoles.includes(role as TeamRole)
    ) {
      throw new AppError(
        'unauthenticated',
        `the credential's role grant ${JSON.stringify(grant)} is not "<team>:viewer|editor|admin" or "${platformAdminGrant}"`,
      );
    }
    const previous = roles[team];
    if (previous === undefined || teamRoles.indexOf(role as TeamRole) > teamRoles.indexOf(previous))
      roles[team] = role as TeamRole;
  }
  return { subject, teams: Object.keys(roles), roles, platformAdmin };
}

const serviceNamePattern = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * The principal of one of the platform's own services, `service:<name>`, whichever credential
 * proved it (a service certificate or a service API token): the one place a caller gets the
 * standing to send `flywheel-on-behalf-of`. Throws `unauthenticated` for a malformed name.
 */
export function servicePrincipalOf(service: string, grants: readonly unknown[]): Principal {
  if (typeof service !== 'string' || !serviceNamePattern.test(service)) {
    throw new AppError(
      'unauthenticated',
      `the credential's service name ${JSON.stringify(service)} is not a service name such as "serving"`,
    );
  }
  return { ...principalOf(`service:${service}`, grants), service };
}

/** Whether `principal` may do `action` on a resource of `team`. */
export function mayAct(principal: Principal, action: Action, team: string): boolean {
  if (principal.platformAdmin) return true;
  const role = principal.roles[team];
  return role !== undefined && teamRoles.indexOf(role) >= teamRoles.indexOf(needed[action]);
}

/**
 * The teams whose resources `principal` may list: every team it holds a role in (every role may
 * view); undefined for a platform admin (all teams).
 */
export function visibleTeams(principal: Principal): readonly string[] | undefined {
  return principal.platformAdmin ? undefined : principal.teams;
}

/**
 * A List call's team filter, as its use case passes it to the store's `find` on `team`: a team,
 * `{ in: teams }`, or '' for every team.
 */
export type TeamCondition = string | { readonly in: readonly string[] };

/**
 * The team filter of a List call (its policy already checked a named team): the named team; else
 * '' (every team) for a platform admin; else the caller's teams as `{ in }` — an empty `in`
 * matches nothing. Filtering in the store query keeps pages full and page tokens valid.
 */
export function listedTeams(principal: Principal, team: string): TeamCondition {
  if (team !== '') return team;
  const visible = visibleTeams(principal);
  return visible === undefined ? '' : { in: [...visible] };
}
