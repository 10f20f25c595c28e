import { grpcAddressVariable, type ServiceName } from '@flywheel/runtime';
import { type SpawnedService, spawnService } from '@flywheel/runtime/testing';

/** One replica: a service process with a stable instance id, port and environment. */
export interface Replica {
  readonly service: ServiceName;
  /** 1 or 2. */
  readonly index: number;
  readonly instanceId: string;
  readonly address: string;
  /** The process now running (replaced by {@link ReplicaSet.killAndRestart}). */
  current(): SpawnedService;
}

/** Replicas of the six services as processes, which a chaos schedule kills and restarts. */
export interface ReplicaSet {
  readonly replicas: readonly Replica[];
  /** Replica `index` of `service`. */
  get(service: ServiceName, index: number): Replica;
  /**
   * SIGKILLs the replica's process, waits for it to exit, and starts it again with the same
   * instance id, port and environment; resolves once it serves and its consumers joined.
   */
  killAndRestart(replica: Replica): Promise<{ killedAt: number; restartedAt: number }>;
  /** SIGTERMs every process at once (each SIGKILLed after 15 s), so stopping is bounded. */
  stop(): Promise<void>;
}

/**
 * Starts `count` replicas of each service in `order` (each service after the peers it calls, its
 * replicas together). Every
 * replica gets `FLYWHEEL_INSTANCE_ID=<service>-<i>` and its own gRPC port (kept across restarts,
 * so peers' addresses stay valid); `envOf(service)` adds the service's settings (its database).
 * Peers: every replica calls replica 1 of each peer.
 */
export async function startReplicaSet(
  order: readonly ServiceName[],
  count: number,
  envOf: (service: ServiceName) => Record<string, string>,
): Promise<ReplicaSet> {
  const replicas: (Replica & { env: Record<string, string>; process: SpawnedService })[] = [];
  const peers: Record<string, string> = {};
  const start = (service: ServiceName, env: Record<string, string>) =>
    spawnService(service, env, { timeoutMs: 120_000 });
  for (const service of order) {
    // The replicas of one service start together: they call the same peers, not each other.
    const started = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const index = i + 1;
        const instanceId = `${service}-${index}`;
        const env: Record<string, string> = {
          ...envOf(service),
          ...peers,
          FLYWHEEL_INSTANCE_ID: instanceId,
        };
        const spawned = await start(service, env);
        // The same port on every restart: peers and clients keep their address.
        env[grpcAddressVariable(service)] = spawned.address;
        const replica = {
          service,
          index,
          instanceId,
          address: spawned.address,
          env,
          process: spawned,
          current: () => replica.process,
        };
        return replica;
      }),
    );
    replicas.push(...started);
    peers[grpcAddressVariable(service)] = replicas.find(
      (r) => r.service === service && r.index === 1,
    )!.address;
  }
  const find = (service: ServiceName, index: number) => {
    const replica = replicas.find((r) => r.service === service && r.index === index);
    if (!replica) throw new Error(`no replica ${index} of ${service}`);
    return replica;
  };
  return {
    replicas,
    get: find,
    async killAndRestart(target) {
      const replica = find(target.service, target.index);
      const child = replica.process.process;
      const exited = new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) resolve();
        else child.once('exit', () => resolve());
      });
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await exited;
      replica.process = await start(replica.service, replica.env);
      return { killedAt, restartedAt: Date.now() };
    },
    async stop() {
      await Promise.all(replicas.map((replica) => replica.process.stop().catch(() => undefined)));
    },
  };
}
