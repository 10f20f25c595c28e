import { auditPrincipalOf, type Principal } from '@flywheel/rpc';
import type { PrincipalRecord } from '../records/registry-records.ts';

/**
 * Who a call acts as, as records keep it (`createdBy`/`updatedBy`): the call's verified principal
 * (the kernel put it on the context; with auth off the one local principal, subject `local`,
 * admin of the local team), with its first team and its role there.
 */
export function principalRecordOf(principal: Principal): PrincipalRecord {
  return auditPrincipalOf(principal);
}
