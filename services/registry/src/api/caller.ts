import { Role } from '@flywheel/proto/flywheel/common/v1/principal_pb.js';
import type { PrincipalRecord } from '../records/registry-records.ts';

/**
 * Who a call acts as. The service kernel does not verify callers yet (no bearer tokens or mTLS),
 * so every call runs as the one local principal of embedded mode, as DESIGN.md describes for it:
 * subject `local`, admin of the configured local team. Use cases take the principal as an
 * argument, so verified principals slot in at the API edge without touching them.
 */
export function localPrincipal(team: string): PrincipalRecord {
  return { subject: 'local', team, roles: [Role.ADMIN] };
}
