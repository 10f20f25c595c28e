import { AppError } from '@flywheel/core';
import { Health, HealthCheckResponse_ServingStatus } from '@flywheel/proto/grpc/health/v1/health_pb.js';
import { createRpcClient } from '@flywheel/rpc';
import type { CommandOutput } from './kafka-acls-command.ts';

const usage = `usage: node scripts/health-check.ts HOST:PORT [SERVICE]

Asks a Flywheel process's grpc.health.v1.Health/Check for SERVICE (default "", the whole
process) over plaintext gRPC, within 5 s. Exits 0 when it answers SERVING, 1 otherwise — a
container healthcheck for engines without a native gRPC probe (docker compose).`;

/** `health-check HOST:PORT [SERVICE]`: 0 when SERVING, 1 when anything else or no answer, 2 on bad usage. */
export async function runHealthCheckCommand(argv: readonly string[], out: CommandOutput): Promise<number> {
  const [address, service = '', ...rest] = argv;
  if (address === undefined || !/^[^\s]+:\d{1,5}$/.test(address) || rest.length > 0) {
    out.err(usage);
    return 2;
  }
  const health = createRpcClient(Health, { address, defaultTimeoutMs: 5000 });
  try {
    const { status } = await health.check({ service });
    const name = HealthCheckResponse_ServingStatus[status] ?? String(status);
    out.out(`${address} ${service === '' ? '""' : service}: ${name}`);
    return status === HealthCheckResponse_ServingStatus.SERVING ? 0 : 1;
  } catch (error) {
    out.err(`${address}: ${AppError.from(error).message}`);
    return 1;
  } finally {
    health.close();
  }
}
