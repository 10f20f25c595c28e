import { create } from '@bufbuild/protobuf';
import { type Principal, PrincipalSchema, Role } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { CallContext } from '@flywheel/rpc';

/** Who acted, as stored in documents. */
export interface PrincipalRecord {
  subject: string;
  team: string;
}

/** Tells who calls an RPC. */
export type CallerOf = (ctx: CallContext) => PrincipalRecord;

/**
 * Callers as the kernel knows them. It does not authenticate yet, so every caller is the local
 * principal of embedded mode, acting for `localTeam`; this is the single place to read the
 * verified principal once the kernel hands it over.
 */
export function localCallers(localTeam: string): CallerOf {
  return () => ({ subject: 'local', team: localTeam });
}

/** The scheduler acting on its own (cron ticks, trigger rules), on behalf of the owning team. */
export function schedulerPrincipal(team: string): PrincipalRecord {
  return { subject: 'service:scheduler', team };
}

/** The wire form; the local principal is an admin of its team, the scheduler an editor. */
export function toPrincipalMessage(principal: PrincipalRecord): Principal {
  const role = principal.subject === 'local' ? Role.ADMIN : Role.EDITOR;
  return create(PrincipalSchema, { subject: principal.subject, team: principal.team, roles: [role] });
}

/** The stored form of a principal carried by an event. */
export function fromPrincipalMessage(principal: Principal | undefined): PrincipalRecord {
  return { subject: principal?.subject ?? '', team: principal?.team ?? '' };
}
