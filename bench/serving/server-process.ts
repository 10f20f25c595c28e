/**
 * A Flywheel registry + serving instance in its own process, for benchmarks whose load generator
 * must not share the server's event loop. Started by `startServerProcess`; deploys what it is told
 * over IPC and answers with its address.
 */
import { fork } from 'node:child_process';
import { type MlpShape, mlpModel, tiledMlpModel, weatherModel } from './bench-models.ts';
import { startServingStack } from './serving-stack.ts';

/** A model a benchmark deploys, built in the server process. */
export type BenchModel =
  | { kind: 'weather' }
  | ({ kind: 'mlp' } & MlpShape)
  | ({ kind: 'tiled' } & MlpShape & { tile: number });

export interface BenchDeployment {
  name: string;
  model: BenchModel;
  runtime: Record<string, unknown>;
}

type Request = { kind: 'deploy'; deployments: BenchDeployment[] } | { kind: 'stop' };
type Reply =
  | { kind: 'ready'; address: string; httpAddress: string }
  | { kind: 'deployed' }
  | { kind: 'failed'; error: string };

/** Starts the server process; resolves once it listens. */
export async function startServerProcess(execArgv: string[] = []) {
  const child = fork(new URL(import.meta.url), ['--serve'], {
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<Reply>((resolve, reject) => {
      child.once('message', (message) => resolve(message as Reply));
      child.once('exit', (code) => reject(new Error(`the server process exited with ${code}`)));
    });
  const ready = await next();
  if (ready.kind !== 'ready') throw new Error(`server process: ${JSON.stringify(ready)}`);
  return {
    address: ready.address,
    httpAddress: ready.httpAddress,
    pid: child.pid!,
    async deploy(deployments: BenchDeployment[]) {
      child.send({ kind: 'deploy', deployments } satisfies Request);
      const reply = await next();
      if (reply.kind !== 'deployed') throw new Error(`server process: ${JSON.stringify(reply)}`);
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ kind: 'stop' } satisfies Request);
      await exited;
    },
  };
}

if (process.argv.includes('--serve')) {
  const stack = await startServingStack();
  // Dies with the benchmark that started it.
  process.on('disconnect', () => process.exit(0));
  const send = (reply: Reply) => process.send!(reply);
  process.on('message', async (message: Request) => {
    if (message.kind === 'stop') {
      await stack.stop();
      process.exit(0);
    }
    try {
      for (const { name, model, runtime } of message.deployments) {
        const bytes =
          model.kind === 'weather'
            ? weatherModel()
            : model.kind === 'tiled'
              ? tiledMlpModel(model)
              : mlpModel(model);
        await stack.deploy(name, bytes, runtime);
      }
      send({ kind: 'deployed' });
    } catch (error) {
      send({ kind: 'failed', error: String(error) });
    }
  });
  send({ kind: 'ready', address: stack.address, httpAddress: stack.httpAddress });
}
