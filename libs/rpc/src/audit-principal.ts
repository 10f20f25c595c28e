import { type ActingPrincipal, actingPrincipal } from '@flywheel/core';
import { Role } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { Principal, TeamRole } from './auth/principal.ts';

/**
 * Who created or changed a record, as records keep it (`createdBy` / `updatedBy`) and the API's
 * `flywheel.common.v1.Principal` returns it. Plain JSON, so stores keep it as is.
 */
export interface AuditPrincipal {
  subject: string;
  team: string;
  roles: Role[];
  /** For event-driven work of a service: whose call started the chain. */
  onBehalfOf?: string;
}

const roleNumber = { viewer: Role.VIEWER, editor: Role.EDITOR, admin: Role.ADMIN } as const;

/**
 * The audit form of the call's verified principal (`ctx.principal`: with auth off, the one local
 * principal), with its first team and its role there — or of the acting scope of event-driven
 * work (`actingPrincipal()`: the service's own identity on behalf of the originator). Never from
 * request fields.
 */
export function auditPrincipalOf(principal: Principal | ActingPrincipal): AuditPrincipal {
  const team = principal.teams[0] ?? '';
  const role = principal.roles?.[team] as TeamRole | undefined;
  const onBehalfOf = 'onBehalfOf' in principal ? principal.onBehalfOf : undefined;
  return {
    subject: principal.subject,
    team,
    roles: role && role in roleNumber ? [roleNumber[role]] : [],
    ...(onBehalfOf ? { onBehalfOf } : {}),
  };
}

/** The stored audit principal of a record written before audit principals were kept: unknown. */
export const unknownAuditPrincipal: AuditPrincipal = { subject: '', team: '', roles: [] };

/**
 * Who the current work is done by, in audit form: the kernel's acting scope, which is the call's
 * verified principal inside an RPC (and with auth off the local principal) and the service's own
 * identity on behalf of the originator inside an event handler. Outside any scope (a use case
 * called directly): {@link unknownAuditPrincipal}.
 */
export function currentAuditPrincipal(): AuditPrincipal {
  const acting = actingPrincipal();
  return acting ? auditPrincipalOf(acting) : unknownAuditPrincipal;
}

/** The `created_by` / `updated_by` of an API `Audit` from a record's, each only when recorded. */
export function auditPrincipals(record: {
  readonly createdBy?: AuditPrincipal | undefined;
  readonly updatedBy?: AuditPrincipal | undefined;
}): { createdBy?: AuditPrincipal; updatedBy?: AuditPrincipal } {
  return {
    ...(record.createdBy ? { createdBy: record.createdBy } : {}),
    ...(record.updatedBy ? { updatedBy: record.updatedBy } : {}),
  };
}
