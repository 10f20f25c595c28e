import { AppError } from '@flywheel/core';
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse_ServingStatus,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from '@flywheel/proto/grpc/health/v1/health_pb.js';
import type { CallContext, ImplOf } from './handler-types.ts';

export type HealthStatus = 'SERVING' | 'NOT_SERVING';

/**
 * The standard `grpc.health.v1.Health` service: Check, List and Watch over a table of statuses
 * (`''` is the server as a whole). Watch streams the current status, then every change.
 */
export function createHealthService() {
  const statuses = new Map<string, HealthCheckResponse_ServingStatus>();
  const watchers = new Set<() => void>();
  let stopping = false;

  const set = (service: string, status: HealthStatus): void => {
    if (stopping) return;
    statuses.set(service, ServingStatus[status]);
    for (const wake of watchers) wake();
  };

  async function* watch(request: HealthCheckRequest, ctx: CallContext) {
    let last: HealthCheckResponse_ServingStatus | undefined;
    while (!ctx.signal.aborted) {
      const status = statuses.get(request.service) ?? ServingStatus.SERVICE_UNKNOWN;
      if (status !== last) {
        last = status;
        yield { status };
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          watchers.delete(wake);
          ctx.signal.removeEventListener('abort', wake);
          resolve();
        };
        watchers.add(wake);
        ctx.signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  const impl: ImplOf<typeof Health> = {
    check: (request) => {
      const status = statuses.get(request.service);
      if (status === undefined) throw new AppError('not_found', `unknown service "${request.service}"`);
      return { status };
    },
    list: () => ({
      statuses: Object.fromEntries([...statuses].map(([name, status]) => [name, { status }])),
    }),
    watch,
  };

  return {
    service: Health,
    impl: impl as Record<string, unknown>,
    set,
    /** Marks everything NOT_SERVING and freezes the table: load balancers drain us first. */
    shutdown: (): void => {
      for (const name of statuses.keys()) statuses.set(name, ServingStatus.NOT_SERVING);
      stopping = true;
      for (const wake of watchers) wake();
    },
  };
}
