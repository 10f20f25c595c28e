import { create } from '@bufbuild/protobuf';
import { actingPrincipal } from '@flywheel/core';
import { type Principal, PrincipalSchema, Role } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import { type AuditPrincipal, auditPrincipalOf, type CallContext } from '@flywheel/rpc';

/**
 * Who acted, as stored in documents. Records written before roles were kept have none (the wire
 * form then infers them, see toPrincipalMessage).
 */
export type PrincipalRecord = Omit<AuditPrincipal, 'roles'> & { roles?: AuditPrincipal['roles'] };

/** Tells who calls an RPC. */
export type CallerOf = (ctx: CallContext) => PrincipalRecord;

/**
 * Callers as the kernel verified them: `ctx.principal` (with auth off, the one local principal,
 * admin of the local team), never a request field.
 */
export const verifiedCallers: CallerOf = (ctx) => auditPrincipalOf(ctx.principal);

/**
 * The scheduler acting on its own (cron ticks, trigger rules), for the owning team and — when an
 * event started it — on behalf of that event's originating principal.
 */
export function schedulerPrincipal(team: string): PrincipalRecord {
  const onBehalfOf = actingPrincipal()?.onBehalfOf;
  return { subject: 'service:scheduler', team, roles: [Role.EDITOR], ...(onBehalfOf ? { onBehalfOf } : {}) };
}

/** The wire form; a record without roles: the local principal is an admin of its team, the scheduler an editor. */
export function toPrincipalMessage(principal: PrincipalRecord): Principal {
  const roles = principal.roles ?? [principal.subject === 'local' ? Role.ADMIN : Role.EDITOR];
  return create(PrincipalSchema, {
    subject: principal.subject,
    team: principal.team,
    roles,
    ...(principal.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
  });
}

/** The stored form of a principal carried by an event. */
export function fromPrincipalMessage(principal: Principal | undefined): PrincipalRecord {
  return {
    subject: principal?.subject ?? '',
    team: principal?.team ?? '',
    roles: [...(principal?.roles ?? [])],
    ...(principal?.onBehalfOf ? { onBehalfOf: principal.onBehalfOf } : {}),
  };
}
