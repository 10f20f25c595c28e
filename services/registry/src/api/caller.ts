import { Role } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { Principal } from '@flywheel/rpc';
import type { PrincipalRecord } from '../records/registry-records.ts';

const roleNumber = { viewer: Role.VIEWER, editor: Role.EDITOR, admin: Role.ADMIN } as const;

/**
 * Who a call acts as, as records keep it (`createdBy`/`updatedBy`): the call's verified principal
 * (the kernel put it on the context; with auth off the one local principal, subject `local`,
 * admin of the local team), with its first team and its role there.
 */
export function principalRecordOf(principal: Principal): PrincipalRecord {
  const team = principal.teams[0] ?? '';
  const role = principal.roles[team];
  return { subject: principal.subject, team, roles: role ? [roleNumber[role]] : [] };
}
